// The page: sign in with the lab's token, then Jobs, Job detail and New conversion, each a view of /api/ (the
// conversion service's gRPC API behind a thin HTTP front). The token stays in sessionStorage, sent as a bearer token.

const main = document.getElementById("main");
const nav = document.getElementById("nav");
const FINAL = new Set(["done", "failed", "cancelled"]);
const IMPORTANCE = ["CRITICAL", "ERROR", "BEST_PRACTICE_VIOLATION", "BEST_PRACTICE_SUGGESTION"];
const DANDI_WEB = { dandi: "https://dandiarchive.org", "dandi-sandbox": "https://sandbox.dandiarchive.org" };
const streams = new Set(); // the SSE readers (and timers) of the view on screen, stopped when the view changes
// A browser opens at most 6 connections to a host: the newest active jobs are followed live, the list is
// reloaded now and then for the others.
const FOLLOWED = 3;
const REFRESH_MS = 5000;

const token = () => sessionStorage.getItem("nwbstream-token");

class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

async function api(path, options = {}) {
  const response = await fetch(`/api/${path}`, {
    ...options,
    headers: { ...(options.headers || {}), Authorization: `Bearer ${token()}` },
  });
  if (response.status === 401) {
    sessionStorage.removeItem("nwbstream-token");
  }
  if (!response.ok) {
    const body = await response.json().catch(() => ({ error: response.statusText }));
    throw new ApiError(response.status, body.error);
  }
  return response;
}

const json = async (path, options) => (await api(path, options)).json();

// Elements: h("tag", {attributes}, children...)
function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (name.startsWith("on")) element.addEventListener(name.slice(2), value);
    else if (value === true) element.setAttribute(name, "");
    else if (value !== false && value !== null && value !== undefined) element.setAttribute(name, value);
  }
  element.append(...children.flat().filter((child) => child !== null && child !== undefined));
  return element;
}

function show(title, ...content) {
  document.title = `${title} — nwbstream`;
  main.replaceChildren(h("h2", {}, title), ...content);
  main.focus();
}

// An error in words; a refused token (signed out elsewhere, say) goes back to signing in.
function failure(error) {
  if (error.status === 401) location.hash = "#/signin";
  return h("p", { class: "error", role: "alert" }, error.message);
}

const when = (seconds) => (seconds ? new Date(seconds * 1000).toLocaleString() : "—");
const bytes = (n) => (n < 1024 ? `${n} B` : n < 2 ** 20 ? `${(n / 1024).toFixed(1)} KiB` : `${(n / 2 ** 20).toFixed(1)} MiB`);

function progress(job) {
  const label = `Progress of ${job.session || job.id}`;
  if (!job.bytes_total) {
    return h("progress", { "aria-label": label, max: 1, value: job.state === "done" ? 1 : FINAL.has(job.state) ? 0 : null });
  }
  return h("progress", { "aria-label": label, max: job.bytes_total, value: job.bytes_done });
}

const percent = (job) => (job.bytes_total ? `${Math.floor((100 * job.bytes_done) / job.bytes_total)}%` : "");

// Server-sent events read with fetch (EventSource cannot send the token): calls onJob with each state of the job.
async function follow(jobId, onJob) {
  const controller = new AbortController();
  streams.add(controller);
  try {
    const response = await api(`jobs/${jobId}/events`, { signal: controller.signal });
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += value;
      let end;
      while ((end = buffer.indexOf("\n\n")) >= 0) {
        const event = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const data = event.split("\n").find((line) => line.startsWith("data: "));
        if (data && !event.startsWith("event: failure")) onJob(JSON.parse(data.slice(6)));
      }
    }
  } catch (error) {
    if (error.name !== "AbortError") console.warn(`events of ${jobId}:`, error);
  } finally {
    streams.delete(controller);
  }
}

async function download(job, button) {
  button.disabled = true;
  try {
    const response = await api(`jobs/${job.id}/download`);
    const name = /filename="?([^";]+)"?/.exec(response.headers.get("Content-Disposition") || "")?.[1] || job.nwbfile_name;
    const url = URL.createObjectURL(await response.blob());
    const link = h("a", { href: url, download: name });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 60_000);
  } catch (error) {
    button.after(failure(error));
  } finally {
    button.disabled = false;
  }
}

async function cancel(job, button) {
  button.disabled = true;
  try {
    await json(`jobs/${job.id}/cancel`, { method: "POST" });
  } catch (error) {
    button.after(failure(error));
  }
}

function actions(job) {
  const cell = h("td", { class: "actions" });
  if (!FINAL.has(job.state)) {
    const button = h("button", { type: "button", "aria-label": `Cancel ${job.session}` }, "Cancel");
    button.addEventListener("click", () => cancel(job, button));
    cell.append(button);
  }
  if (job.state === "done") {
    const button = h("button", { type: "button", "aria-label": `Download ${job.nwbfile_name}` }, "Download");
    button.addEventListener("click", () => download(job, button));
    cell.append(button);
  }
  return cell;
}

function jobRow(job) {
  return h(
    "tr",
    { "data-job": job.id },
    h("td", {}, when(job.created_at)),
    h("td", {}, h("a", { href: `#/jobs/${job.id}` }, job.nwbfile_name)),
    h("td", {}, job.session),
    h("td", { class: `state state-${job.state}` }, job.state),
    h("td", {}, progress(job), ` ${percent(job)}`),
    actions(job),
  );
}

async function jobsView() {
  let jobs;
  try {
    jobs = await json("jobs");
  } catch (error) {
    return show("Jobs", failure(error));
  }
  if (!jobs.length) {
    return show("Jobs", h("p", {}, "No job yet. ", h("a", { href: "#/new" }, "Start a conversion"), "."));
  }
  const body = h("tbody", {}, jobs.map(jobRow));
  const head = ["Created", "File", "Session", "State", "Progress", "Actions"].map((name) => h("th", { scope: "col" }, name));
  show("Jobs", h("table", {}, h("caption", { class: "muted" }, "Newest first"), h("thead", {}, h("tr", {}, head)), body));
  const active = jobs.filter((job) => !FINAL.has(job.state));
  for (const job of active.slice(0, FOLLOWED)) {
    follow(job.id, (update) => body.querySelector(`[data-job="${job.id}"]`)?.replaceWith(jobRow(update)));
  }
  if (active.length > FOLLOWED) {
    const timer = setTimeout(() => location.hash === "#/jobs" && route(), REFRESH_MS);
    streams.add({ abort: () => clearTimeout(timer) });
  }
}

function report(job) {
  if (!job.report) {
    const why = FINAL.has(job.state) ? "No validation report: the job ended before it." : "No validation report yet.";
    return h("p", { class: "muted" }, why);
  }
  const sections = [];
  sections.push(
    h(
      "details",
      { open: job.report.pynwb.length > 0 },
      h("summary", {}, `NWB schema (pynwb): ${job.report.pynwb.length} error(s)`),
      h("ul", {}, job.report.pynwb.map((message) => h("li", {}, message))),
    ),
  );
  const levels = [...new Set([...IMPORTANCE, ...job.report.nwbinspector.map((m) => m.importance)])];
  for (const importance of levels) {
    const messages = job.report.nwbinspector.filter((m) => m.importance === importance);
    if (!messages.length) continue;
    sections.push(
      h(
        "details",
        { open: importance === "CRITICAL" },
        h("summary", {}, `${importance.replaceAll("_", " ").toLowerCase()}: ${messages.length}`),
        h(
          "ul",
          {},
          messages.map((m) =>
            h("li", {}, h("strong", {}, m.check), ` — ${m.message} `, h("span", { class: "muted" }, `(${m.object_type} ${m.object_name} at ${m.location})`)),
          ),
        ),
      ),
    );
  }
  if (!job.report.nwbinspector.length) sections.push(h("p", {}, "nwbinspector: no message."));
  return h("section", { "aria-labelledby": "report-title" }, h("h3", { id: "report-title" }, "Validation report"), sections);
}

function dandi(job) {
  if (!job.dandi) return null;
  const site = DANDI_WEB[job.dandi.instance] || DANDI_WEB.dandi;
  const link = h("a", { href: `${site}/dandiset/${job.dandi.dandiset}` }, `Dandiset ${job.dandi.dandiset}`);
  return [h("dt", {}, "DANDI"), h("dd", {}, link, ` — ${job.dandi.path} (${job.dandi.uploaded ? "uploaded" : "not uploaded"})`)];
}

function jobDetail(job) {
  const fields = h(
    "dl",
    { class: "fields" },
    h("dt", {}, "State"),
    h("dd", { class: `state state-${job.state}` }, job.state, job.cancel_requested && !FINAL.has(job.state) ? " (cancelling)" : ""),
    h("dt", {}, "Progress"),
    h("dd", {}, progress(job), ` ${bytes(job.bytes_done)} of ${bytes(job.bytes_total)}`),
    h("dt", {}, "Session"),
    h("dd", {}, `${job.session} (job ${job.id})`),
    h("dt", {}, "Created"),
    h("dd", {}, when(job.created_at)),
    h("dt", {}, "Started"),
    h("dd", {}, when(job.started_at)),
    h("dt", {}, "Finished"),
    h("dd", {}, when(job.finished_at)),
    h("dt", {}, "Attempts"),
    h("dd", {}, String(job.attempts)),
    h("dt", {}, "Output location"),
    h("dd", {}, job.output || "—"),
    dandi(job),
  );
  const error = job.error ? h("p", { class: "error", role: "alert" }, `Error: ${job.error}`) : null;
  const buttons = h("table", {}, h("tbody", {}, h("tr", {}, actions(job))));
  return h("div", { id: "job" }, fields, error, buttons, report(job));
}

async function jobView(jobId) {
  let job;
  try {
    job = await json(`jobs/${jobId}`);
  } catch (error) {
    return show("Job", failure(error));
  }
  show(`Job ${job.nwbfile_name}`, jobDetail(job));
  if (!FINAL.has(job.state)) {
    follow(job.id, (update) => document.getElementById("job")?.replaceWith(jobDetail(update)));
  }
}

// New conversion: browse -> detect -> sources and the metadata form -> submit.
async function newView(folder = "") {
  let listing;
  try {
    listing = await json(`browse?folder=${encodeURIComponent(folder)}`);
  } catch (error) {
    return show("New conversion", failure(error));
  }
  const parts = listing.folder ? listing.folder.split("/") : [];
  const crumbs = [h("button", { type: "button", class: "link-button", onclick: () => newView("") }, "data root")];
  parts.forEach((part, i) => {
    crumbs.push(" / ", h("button", { type: "button", class: "link-button", onclick: () => newView(parts.slice(0, i + 1).join("/")) }, part));
  });
  const items = listing.entries.map((entry) =>
    entry.is_folder
      ? h("li", {}, h("button", { type: "button", class: "link-button", onclick: () => newView([...parts, entry.name].join("/")) }, `${entry.name}/`))
      : h("li", { class: "muted" }, `${entry.name} (${bytes(entry.size)})`),
  );
  const detectButton = h("button", { type: "button", class: "primary" }, "Detect this folder");
  detectButton.addEventListener("click", () => detect(listing.folder, detectButton));
  show(
    "New conversion",
    h(
      "section",
      { class: "browser", "aria-labelledby": "browse-title" },
      h("h3", { id: "browse-title" }, "1. Choose the session's folder"),
      h("p", {}, h("span", { class: "muted" }, "Folder: "), crumbs),
      items.length ? h("ul", { "aria-label": "Contents of the folder" }, items) : h("p", { class: "muted" }, "Empty folder."),
      detectButton,
    ),
    h("div", { id: "detected" }),
  );
}

async function detect(folder, button) {
  const target = document.getElementById("detected");
  button.disabled = true;
  target.replaceChildren(h("p", { role: "status" }, `Detecting ${folder || "the data root"}…`));
  try {
    const found = await json(`detect?folder=${encodeURIComponent(folder)}`);
    target.replaceChildren(...detectedForm(found));
    target.querySelector("h3")?.focus();
  } catch (error) {
    target.replaceChildren(failure(error));
  } finally {
    button.disabled = false;
  }
}

function sourceFieldset(source) {
  const choices = [source, ...source.alternatives];
  const name = `interface-${source.key}`;
  return h(
    "fieldset",
    { "data-source": source.key },
    h("legend", {}, h("label", {}, h("input", { type: "checkbox", checked: true, name: `use-${source.key}` }), ` Convert ${source.key} (${source.modality})`)),
    choices.map((choice, i) =>
      h(
        "div",
        {},
        h("label", {}, h("input", { type: "radio", name, value: String(i), checked: i === 0 }), ` ${choice.interface_name}`),
        h("span", { class: "muted" }, ` confidence ${choice.confidence.toFixed(2)} — ${choice.evidence}`),
      ),
    ),
    h("p", { class: "muted" }, `Files: ${JSON.stringify(source.source_data)}`),
    Object.entries(source.todo).map(([argument, hint]) =>
      h(
        "div",
        {},
        h("label", { class: "required", for: `todo-${source.key}-${argument}` }, `${argument} (required)`),
        h("input", { type: "text", id: `todo-${source.key}-${argument}`, "data-argument": argument, required: true }),
        h("p", { class: "muted" }, hint),
      ),
    ),
  );
}

function chosenSources(form, sources) {
  const chosen = {};
  for (const source of sources) {
    const fieldset = form.querySelector(`[data-source="${source.key}"]`);
    if (!fieldset.querySelector(`[name="use-${source.key}"]`).checked) continue;
    const index = Number(fieldset.querySelector(`[name="interface-${source.key}"]:checked`).value);
    const choice = [source, ...source.alternatives][index];
    const sourceData = { ...choice.source_data };
    for (const input of fieldset.querySelectorAll("[data-argument]")) sourceData[input.dataset.argument] = input.value;
    chosen[source.key] = { interface_name: choice.interface_name, source_data: sourceData };
  }
  return chosen;
}

// The schema as the form shows it: the fields no file supplies marked required, session_start_time as text with its
// time zone required (a datetime-local input would drop it), groups other than the session's and subject's folded.
function formSchema(schema, missing) {
  const copy = structuredClone(schema);
  for (const field of missing) {
    const [group, name] = field.split(".");
    const groupSchema = copy.properties?.[group];
    if (!groupSchema || group === "source_data") continue;
    groupSchema.required = [...new Set([...(groupSchema.required || []), name])];
    // a list with nothing chosen yet, rather than its first value chosen silently
    const property = groupSchema.properties?.[name];
    if (property?.enum && !property.enum.includes("")) Object.assign(property, { enum: ["", ...property.enum], minLength: 1 });
    copy.required = [...new Set([...(copy.required || []), group])];
  }
  const start = copy.properties?.NWBFile?.properties?.session_start_time;
  if (start) {
    delete start.format;
    start.type = "string";
    start.pattern = "^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}(:\\d{2}(\\.\\d+)?)?(Z|[+-]\\d{2}:\\d{2})$";
    start.description = `${start.description || "When the session started"} — ISO 8601 with an explicit time zone, e.g. 2024-03-01T14:05:00-05:00 or 2024-03-01T19:05:00Z.`;
    start.options = { ...(start.options || {}), patternmessage: "give the date, the time and the time zone, e.g. 2024-03-01T14:05:00-05:00" };
  }
  explainPatterns(copy);
  for (const [group, groupSchema] of Object.entries(copy.properties || {})) {
    // "one of these fields" (Subject's age or date_of_birth) as words, not as a choice between two schemas
    for (const key of ["anyOf", "oneOf"]) {
      const options = groupSchema[key];
      if (!options?.every((option) => Object.keys(option).join() === "required")) continue;
      const alternatives = options.map((option) => option.required.join(" and ")).join(", or ");
      groupSchema.description = `${groupSchema.description || ""} Give ${alternatives}.`.trim();
      delete groupSchema[key];
    }
    if (!["NWBFile", "Subject"].includes(group)) groupSchema.options = { ...(groupSchema.options || {}), collapsed: true };
  }
  return copy;
}

// A value that does not match a field's pattern is explained with the field's description, not the regular expression.
function explainPatterns(schema) {
  if (!schema || typeof schema !== "object") return;
  if (schema.pattern && !schema.options?.patternmessage) {
    const hint = schema.description ? `: ${schema.description}` : "";
    schema.options = { ...(schema.options || {}), patternmessage: `not in the expected form${hint}` };
  }
  for (const child of [...Object.values(schema.properties || {}), schema.items, ...Object.values(schema.definitions || {})]) {
    explainPatterns(child);
  }
}

function detectedForm(found) {
  const form = h("form", { novalidate: true });
  const sources = h("section", { "aria-labelledby": "sources-title" }, h("h3", { id: "sources-title", tabindex: "-1" }, "2. What was detected"), found.sources.map(sourceFieldset));
  if (found.unrecognised.length) {
    sources.append(h("p", {}, h("strong", {}, "Not recognised: "), found.unrecognised.join(", ")));
  }
  for (const note of found.notes) sources.append(h("p", { class: "muted" }, `Note: ${note}`));
  const editorHolder = h("div", { id: "metadata-form" });
  const errors = h("div", { id: "form-errors", role: "alert" });
  const stub = h("label", {}, h("input", { type: "checkbox", name: "stub" }), " Stub: convert only the first seconds (a quick trial)");
  const submit = h("button", { type: "submit", class: "primary" }, "Submit the conversion");
  form.append(
    sources,
    h(
      "section",
      { "aria-labelledby": "metadata-title" },
      h("h3", { id: "metadata-title" }, "3. Metadata"),
      h("p", { class: "muted" }, `Fields marked * are required. Still missing: ${found.missing.join(", ") || "nothing"}.`),
      editorHolder,
    ),
    h("p", {}, stub),
    errors,
    submit,
  );
  if (!window.JSONEditor) {
    editorHolder.append(h("p", { class: "error" }, "The form library is missing from /static/vendor/ (run `make webdeps`)."));
    return [form];
  }
  const editor = new window.JSONEditor(editorHolder, {
    schema: formSchema(found.schema, found.missing),
    startval: found.metadata,
    theme: "html",
    disable_edit_json: true,
    disable_properties: true,
    show_errors: "interaction",
    form_name_root: "metadata",
    prompt_before_delete: false,
  });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    errors.replaceChildren();
    const problems = editor.validate();
    const chosen = chosenSources(form, found.sources);
    const emptyTodo = [...form.querySelectorAll("[data-argument]")].filter((input) => !input.value);
    if (problems.length || emptyTodo.length) {
      const lines = problems.map((p) => `${p.path.replace(/^metadata\.?/, "")}: ${p.message}`);
      lines.push(...emptyTodo.map((input) => `${input.id.replace(/^todo-/, "")}: required`));
      errors.append(h("p", { class: "error" }, "Please complete the form:"), h("ul", {}, lines.map((line) => h("li", {}, line))));
      errors.focus();
      return;
    }
    submit.disabled = true;
    try {
      const body = JSON.stringify({ spec_yaml: found.spec_yaml, metadata: editor.getValue(), sources: chosen, stub: form.stub.checked });
      const [job] = await json("submit", { method: "POST", headers: { "Content-Type": "application/json" }, body });
      location.hash = `#/jobs/${job.id}`;
    } catch (error) {
      errors.replaceChildren(failure(error));
    } finally {
      submit.disabled = false;
    }
  });
  return [form];
}

function signInView(message) {
  const input = h("input", { type: "password", id: "token", name: "token", autocomplete: "current-password", required: true });
  const form = h(
    "form",
    { class: "signin" },
    h("label", { for: "token" }, "Lab token"),
    input,
    " ",
    h("button", { type: "submit", class: "primary" }, "Sign in"),
    h("p", { class: "muted" }, "The token your data core gave your lab. It is kept in this tab only."),
    message ? h("p", { class: "error", role: "alert" }, message) : null,
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    sessionStorage.setItem("nwbstream-token", input.value);
    try {
      await json("jobs");
      if (location.hash === "#/jobs") route();
      else location.hash = "#/jobs";
    } catch (error) {
      sessionStorage.removeItem("nwbstream-token");
      signInView(error.message);
    }
  });
  show("Sign in", form);
  input.focus();
}

function route() {
  for (const controller of streams) controller.abort();
  streams.clear();
  const signedIn = Boolean(token());
  nav.hidden = !signedIn;
  const hash = location.hash || "#/jobs";
  if (!signedIn || hash === "#/signin") return signInView();
  const job = /^#\/jobs\/(.+)$/.exec(hash);
  if (job) return jobView(decodeURIComponent(job[1]));
  if (hash === "#/new") return newView();
  return jobsView();
}

document.getElementById("sign-out").addEventListener("click", () => {
  sessionStorage.removeItem("nwbstream-token");
  location.hash = "#/signin";
});
// A link to the page on screen shows it afresh (the jobs list, say), as it would on another page.
nav.addEventListener("click", (event) => {
  if (event.target.matches("a") && event.target.getAttribute("href") === location.hash) route();
});
window.addEventListener("hashchange", route);
route();
