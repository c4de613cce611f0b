"""Synthetic but realistic sample sessions: a SpikeGLX Neuropixels 1.0 run and a Phy/KiloSort folder.

The demo, the benchmark and the tests need recordings that real readers accept unchanged (neo and
spikeinterface parse the ``.meta`` and rebuild the probe from its ``imroTbl``, NeuroConv names the series
from ``typeImEnabled``) and that compress like real data, so that speed and size measurements mean
something. Shipping gigabytes of recordings is not an option, so this module writes them on demand.

Only numpy and the standard library are used: the readers that the tests check these files with take no part
in writing them.

The AP band is band-limited gaussian noise, slightly correlated between neighbouring channels, with a few
hundred units firing biphasic spikes on the contacts around them, and the SY0 status word carrying the 1 Hz
sync square wave on bit 6, as SpikeGLX records it. Its noise level is tuned so that deflate (level 4,
no shuffle) shrinks the ``.bin`` about 1.9 times, as it does real Neuropixels 1.0 AP data.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

__all__ = [
    "AP_SAMPLING_FREQUENCY",
    "LF_SAMPLING_FREQUENCY",
    "NUM_CHANNELS",
    "NUM_SAVED_CHANNELS",
    "PROBE_PART_NUMBER",
    "channel_positions_um",
    "write_demo_session",
    "write_phy_sorting",
    "write_spikeglx_session",
]

AP_SAMPLING_FREQUENCY = 30000.0
LF_SAMPLING_FREQUENCY = 2500.0
NUM_CHANNELS = 384
NUM_SAVED_CHANNELS = NUM_CHANNELS + 1  # + the SY0 status word
PROBE_PART_NUMBER = "PRB_1_4_0480_1"  # Neuropixels 1.0, phase 3B2 part number

_AP_GAIN = 500
_LF_GAIN = 250
_AI_RANGE_V = 0.6
_MAX_INT = 512
_REFERENCE_CHANNEL = 191  # NP1.0 readout channel wired to the internal reference: it carries no signal
_SYNC_BIT = 6  # the imec SY0 word carries the sync input on bit 6
_SYNC_PERIOD_S = 1.0  # SpikeGLX default sync period (syncSourcePeriod=1)
_ROW_PITCH_UM = 20.0
_COLUMN_X_UM = (16.0, 48.0, 0.0, 32.0)  # staggered columns, probeinterface frame (leftmost column at 0)
_GEOMMAP_X_OFFSET_UM = 11.0  # snsGeomMap measures x from the shank edge: leftmost column sits at 11 um
_SHANK_WIDTH_UM = 70
_FILE_CREATE_TIME = "2024-01-15T10:30:00"  # fixed so that generated sessions are byte-reproducible
_APP_VERSION = "20230411"

# Per-pool-block standard deviations (ADC counts); each output block sums two pool blocks, so the AP noise
# std is sqrt(2) times this (~23 counts, ~54 uV at 2.34 uV/count), tuned for a deflate ratio of 1.93.
_AP_POOL_STD = 15.3
_LF_POOL_STD = 14.0
_POOL_BLOCKS = 4
_N_UNITS = 300
_WAVEFORM_SAMPLES = 48  # 1.6 ms at 30 kHz
_WAVEFORM_CHANNELS = 16  # contacts a spike shows on


def channel_positions_um() -> np.ndarray:
    """(384, 2) x/y contact positions in um of bank 0 of an NP1.0 probe, as probeinterface reports them.

    Exposed so tests can check the geometry a reader rebuilds from the generated ``.meta``.
    """
    channels = np.arange(NUM_CHANNELS)
    x = np.asarray(_COLUMN_X_UM)[channels % 4]
    y = (channels // 2) * _ROW_PITCH_UM
    return np.column_stack([x, y]).astype("float64")


# ----------------------------------------------------------------------------------------------- meta text


def _imro_table(n_channels: int) -> str:
    # NP1.0 imroTbl: (type,n)(chan bank refid apgain lfgain aphipass) - bank 0, external ref, 300 Hz HP on.
    entries = "".join(f"({c} 0 0 {_AP_GAIN} {_LF_GAIN} 1)" for c in range(n_channels))
    return f"(0,{n_channels}){entries}"


def _mux_table() -> str:
    # NP1.0: 32 ADCs, 12 conversion groups; group g samples channel pairs (2g + 24k, 2g + 1 + 24k).
    groups = []
    for g in range(12):
        chans = [c for k in range(16) for c in (2 * g + 24 * k, 2 * g + 1 + 24 * k)]
        groups.append("(" + " ".join(str(c) for c in chans) + ")")
    return "(32,12)" + "".join(groups)


def _chan_map(kind: str) -> str:
    # (AP,LF,SY counts)(name;channel-index:display-order); LF channels are numbered after the 384 AP ones.
    first = 0 if kind == "ap" else NUM_CHANNELS
    label = kind.upper()
    entries = "".join(f"({label}{c};{first + c}:{first + c})" for c in range(NUM_CHANNELS))
    sync = 2 * NUM_CHANNELS
    return f"({NUM_CHANNELS},{NUM_CHANNELS},1){entries}(SY0;{sync}:{sync})"


def _geom_map() -> str:
    # (part,shanks,shank pitch,shank width)(shank:x:y:used); the reference channel is flagged unused.
    positions = channel_positions_um()
    entries = "".join(
        f"(0:{int(x + _GEOMMAP_X_OFFSET_UM)}:{int(y)}:{0 if c == _REFERENCE_CHANNEL else 1})"
        for c, (x, y) in enumerate(positions)
    )
    return f"({PROBE_PART_NUMBER},1,0,{_SHANK_WIDTH_UM}){entries}"


def _meta_text(
    *,
    kind: str,
    original_path: str,
    file_size: int,
    sha1: str,
    n_samples: int,
    first_sample: int,
    serial_number: str,
) -> str:
    rate = AP_SAMPLING_FREQUENCY if kind == "ap" else LF_SAMPLING_FREQUENCY
    fields: dict[str, str] = {
        "acqApLfSy": f"{NUM_CHANNELS},{NUM_CHANNELS},1",
        "appVersion": _APP_VERSION,
        "fileCreateTime": _FILE_CREATE_TIME,
        "fileName": original_path,
        "fileSHA1": sha1,
        "fileSizeBytes": str(file_size),
        "fileTimeSecs": repr(n_samples / rate),
        "firstSample": str(first_sample if kind == "ap" else first_sample // 12),
        "gateMode": "Immediate",
        "imAiRangeMax": repr(_AI_RANGE_V),
        "imAiRangeMin": repr(-_AI_RANGE_V),
        "imAnyChanFullBand": "false",
        "imCalibrated": "true",
        "imDatApi": "3.60",
        "imDatBs_fw": "2.0.169",
        "imDatBsc_fw": "3.2.186",
        "imDatBsc_hw": "2.1",
        "imDatBsc_pn": "NP2_QBSC_00",
        "imDatBsc_sn": "21230901",
        "imDatFx_hw": "4.13",
        "imDatFx_pn": "NP2_FLEX_0",
        "imDatFx_sn": "0",
        "imDatHs_hw": "5.1",
        "imDatHs_pn": "NP2_HS_30",
        "imDatHs_sn": "1042",
        "imDatPrb_dock": "1",
        "imDatPrb_pn": PROBE_PART_NUMBER,
        "imDatPrb_port": "1",
        "imDatPrb_slot": "2",
        "imDatPrb_sn": serial_number,
        "imDatPrb_type": "0",
        "imIsSvyRun": "false",
        "imLEDEnable": "false",
        "imMaxInt": str(_MAX_INT),
        "imSampRate": f"{rate:g}",
        "imStdby": "",
        "imSvyMaxBnk": "-1",
        "imSvySecPerBnk": "35",
        "imTrgRising": "true",
        "imTrgSource": "0",
        "imroFile": "",
        "nDataDirs": "1",
        "nSavedChans": str(NUM_SAVED_CHANNELS),
        "syncImInputSlot": "2",
        "syncSourceIdx": "3",
        "syncSourcePeriod": f"{_SYNC_PERIOD_S:g}",
        "trigMode": "Immediate",
        "typeImEnabled": "1",  # one probe in the run: NeuroConv then names the series ElectricalSeriesAP/LF
        "typeNiEnabled": "0",
        "typeObEnabled": "0",
        "typeThis": "imec",
        "userNotes": "",
    }
    if kind == "ap":
        fields["imChan0apGain"] = str(_AP_GAIN)
        fields["snsApLfSy"] = f"{NUM_CHANNELS},0,1"
        fields["snsSaveChanSubset"] = f"0:{NUM_CHANNELS - 1},{2 * NUM_CHANNELS}"
    else:
        fields["imChan0lfGain"] = str(_LF_GAIN)
        fields["snsApLfSy"] = f"0,{NUM_CHANNELS},1"
        fields["snsSaveChanSubset"] = f"{NUM_CHANNELS}:{2 * NUM_CHANNELS}"
    tables = {
        "imroTbl": _imro_table(NUM_CHANNELS),
        "muxTbl": _mux_table(),
        "snsChanMap": _chan_map(kind),
        "snsGeomMap": _geom_map(),
    }
    # SpikeGLX writes plain keys in ASCII order, then the '~' table keys.
    lines = [f"{k}={fields[k]}" for k in sorted(fields)]
    lines += [f"~{k}={tables[k]}" for k in sorted(tables)]
    return "\n".join(lines) + "\n"


# ------------------------------------------------------------------------------------------------ signals


def _shaped_noise(
    rng: np.random.Generator,
    n_time: int,
    rate: float,
    gain_of_frequency: np.ndarray | None,
    neighbour_weights: tuple[float, ...],
    common_weight: float,
) -> np.ndarray:
    """Gaussian noise filtered in time (circularly, so a rolled block stays seamless) and across channels."""
    white = rng.standard_normal((n_time, NUM_CHANNELS), dtype=np.float32)
    if gain_of_frequency is not None:
        spectrum = np.fft.rfft(white, axis=0)
        spectrum *= gain_of_frequency[:, None].astype(spectrum.real.dtype)
        white = np.fft.irfft(spectrum, n=n_time, axis=0).astype(np.float32)
        del spectrum
    mixed = white.copy()
    for distance, weight in enumerate(neighbour_weights, start=1):
        mixed[:, distance:] += weight * white[:, :-distance]
        mixed[:, :-distance] += weight * white[:, distance:]
    if common_weight:
        common = white[:, rng.integers(NUM_CHANNELS)].copy()
        mixed += common_weight * common[:, None]
    return mixed


def _butterworth_gain(freqs: np.ndarray, corner: float, order: int, highpass: bool) -> np.ndarray:
    ratio = np.maximum(freqs, 1e-9) / corner
    if highpass:
        ratio = 1.0 / ratio
    return 1.0 / np.sqrt(1.0 + ratio ** (2 * order))


def _noise_pool(rng: np.random.Generator, kind: str, block_len: int, channel_scale: np.ndarray) -> list[np.ndarray]:
    """A few int16 noise blocks; every written block is a sum of two of them rolled by random offsets.

    Drawing fresh gaussian numbers for every sample would cost more than writing them; summing rolled pool
    blocks is a few memory passes, and never repeats a block exactly.
    """
    rate = AP_SAMPLING_FREQUENCY if kind == "ap" else LF_SAMPLING_FREQUENCY
    freqs = np.fft.rfftfreq(block_len, d=1.0 / rate)
    if kind == "ap":
        # NP1.0 AP chain: 300 Hz high pass, ~10 kHz anti-alias low pass.
        gain = _butterworth_gain(freqs, 300.0, 1, True) * _butterworth_gain(freqs, 8000.0, 2, False)
        neighbours, common, std = (0.3, 0.12), 0.25, _AP_POOL_STD
    else:
        # LFP: roughly 1/f between the 0.5 Hz high pass and the 500 Hz low pass, smooth across the probe.
        gain = (
            _butterworth_gain(freqs, 0.5, 1, True)
            * _butterworth_gain(freqs, 500.0, 2, False)
            / np.sqrt(1.0 + np.maximum(freqs, 1e-9) / 4.0)
        )
        neighbours, common, std = (0.6, 0.5, 0.4, 0.3), 0.8, _LF_POOL_STD
    pool = []
    for _ in range(_POOL_BLOCKS):
        noise = _shaped_noise(rng, block_len, rate, gain, neighbours, common)
        noise *= (std / noise.std(axis=0))[None, :] * channel_scale[None, :]
        pool.append(np.rint(noise).astype(np.int16))
    return pool


@dataclass
class _Units:
    """A population of units: where they fire (contacts), how (templates) and how often (rates)."""

    channels: np.ndarray  # (units, K) contact indices
    templates: np.ndarray  # (units, T, K) int16 waveforms in ADC counts
    rates: np.ndarray  # (units,) Hz

    @classmethod
    def random(cls, rng: np.random.Generator, n_units: int) -> _Units:
        positions = channel_positions_um()
        usable = np.setdiff1d(np.arange(NUM_CHANNELS), [_REFERENCE_CHANNEL])
        soma_x = rng.uniform(-10.0, 58.0, n_units)
        soma_y = positions[rng.choice(usable, n_units), 1] + rng.uniform(-10.0, 10.0, n_units)
        soma_z = rng.uniform(15.0, 45.0, n_units)  # distance from the shank plane
        dist = np.sqrt(
            (positions[None, :, 0] - soma_x[:, None]) ** 2
            + (positions[None, :, 1] - soma_y[:, None]) ** 2
            + soma_z[:, None] ** 2
        )
        channels = np.argsort(dist, axis=1)[:, :_WAVEFORM_CHANNELS]
        near = np.take_along_axis(dist, channels, axis=1)
        spatial = (near[:, :1] / near) ** 2  # 1 on the nearest contact, decaying with distance
        spatial[channels == _REFERENCE_CHANNEL] = 0.0
        amplitude = np.clip(rng.lognormal(np.log(150.0), 0.35, n_units), 90.0, 320.0)

        t = np.arange(_WAVEFORM_SAMPLES, dtype="float64")[None, :]
        width = rng.uniform(0.8, 1.4, n_units)[:, None]
        rebound = rng.uniform(0.2, 0.5, n_units)[:, None]
        trough = np.exp(-0.5 * ((t - 14.0) / (2.0 * width)) ** 2)
        peak = np.exp(-0.5 * ((t - 14.0 - 9.0 * width) / (5.0 * width)) ** 2)
        shape = -trough + rebound * peak  # biphasic: sharp trough, slower positive rebound
        shape /= -shape.min(axis=1, keepdims=True)
        templates = amplitude[:, None, None] * shape[:, :, None] * spatial[:, None, :]
        rates = np.clip(rng.lognormal(np.log(2.5), 0.9, n_units), 0.2, 40.0)
        return cls(channels=channels, templates=np.rint(templates).astype(np.int16), rates=rates)

    def add_spikes(self, rng: np.random.Generator, buffer: np.ndarray, n_samples: int, rate: float) -> None:
        """Add the spikes that start within the first ``n_samples`` rows of the C-contiguous ``buffer``
        (which has room for one waveform more, so spikes spill into the next block instead of being cut)."""
        n_spikes = rng.poisson(self.rates.sum() * n_samples / rate)
        if n_spikes == 0:
            return
        units = rng.choice(len(self.rates), n_spikes, p=self.rates / self.rates.sum())
        starts = rng.integers(0, n_samples, n_spikes)
        n_cols = buffer.shape[1]
        flat_index = (starts[:, None, None] + np.arange(_WAVEFORM_SAMPLES)[None, :, None]) * n_cols + self.channels[
            units
        ][:, None, :]
        np.add.at(buffer.reshape(-1), flat_index.reshape(-1), self.templates[units].reshape(-1))


def _sync_word(first: int, count: int, rate: float) -> np.ndarray:
    half_period = int(round(_SYNC_PERIOD_S * rate / 2))
    samples = np.arange(first, first + count)
    return (((samples // half_period) % 2) << _SYNC_BIT).astype(np.int16)


def _write_band(
    bin_path: Path,
    *,
    kind: str,
    n_samples: int,
    block_len: int,
    rng: np.random.Generator,
    units: _Units | None,
) -> str:
    """Write one band's ``.bin`` block by block and return its SHA1 (SpikeGLX records it in the meta)."""
    rate = AP_SAMPLING_FREQUENCY if kind == "ap" else LF_SAMPLING_FREQUENCY
    block_len = max(min(block_len, n_samples), _WAVEFORM_SAMPLES)
    channel_scale = rng.uniform(0.85, 1.15, NUM_CHANNELS)
    channel_scale[_REFERENCE_CHANNEL] = 0.08
    pool = _noise_pool(rng, kind, block_len, channel_scale)
    margin = _WAVEFORM_SAMPLES if units is not None else 0
    buffer = np.zeros((block_len + margin, NUM_SAVED_CHANNELS), dtype=np.int16)
    carry = np.zeros((margin, NUM_CHANNELS), dtype=np.int16)
    # Consecutive blocks come from unrelated pool offsets; cross-fading from where the previous block's
    # noise would have continued avoids a step at every block boundary (a click on all channels at 1 Hz).
    fade = min(block_len, int(0.01 * rate) if kind == "ap" else int(0.1 * rate))
    angle = np.linspace(0.0, np.pi / 2, fade, dtype=np.float32)[:, None]
    fade_in, fade_out = np.sin(angle), np.cos(angle)  # constant power: sin^2 + cos^2 = 1
    previous: tuple[int, int, int, int] | None = None  # (pool a, shift a, pool b, shift b) continued
    sha1 = hashlib.sha1()
    with open(bin_path, "wb") as f:
        written = 0
        while written < n_samples:
            n = min(block_len, n_samples - written)
            neural = buffer[:, :NUM_CHANNELS]
            first, second = (int(i) for i in rng.choice(len(pool), 2, replace=False))
            shift_first, shift_second = int(rng.integers(block_len)), int(rng.integers(block_len))
            _place_rolled(neural, pool[first], shift_first, n, add=False)
            _place_rolled(neural, pool[second], shift_second, n, add=True)
            if previous is not None:
                m = min(fade, n)
                pa, sa, pb, sb = previous
                rows = np.arange(m)
                continued = pool[pa][(sa + rows) % block_len].astype(np.float32)
                continued += pool[pb][(sb + rows) % block_len]
                mixed = fade_in[:m] * neural[:m] + fade_out[:m] * continued
                neural[:m] = np.rint(mixed).astype(np.int16)
            previous = (first, (shift_first + n) % block_len, second, (shift_second + n) % block_len)
            if units is not None:
                neural[n : n + margin] = 0
                neural[:margin] += carry
                units.add_spikes(rng, buffer, n, rate)
                carry[:] = neural[n : n + margin]
            buffer[:n, NUM_CHANNELS] = _sync_word(written, n, rate)
            chunk = memoryview(buffer[:n]).cast("B")
            f.write(chunk)
            sha1.update(chunk)
            written += n
    return sha1.hexdigest().upper()


def _place_rolled(dst: np.ndarray, src: np.ndarray, shift: int, n: int, *, add: bool) -> None:
    """dst[:n] (+)= src rolled by ``shift`` rows, without allocating the rolled copy."""
    head = min(len(src) - shift, n)
    parts = ((slice(0, head), src[shift : shift + head]), (slice(head, n), src[: n - head]))
    for rows, values in parts:
        if add:
            dst[rows] += values
        else:
            dst[rows] = values


# ------------------------------------------------------------------------------------------------- public


def write_spikeglx_session(
    folder: Path,
    *,
    seconds: float | None = None,
    size_bytes: int | None = None,
    run_name: str = "sample",
    probe: str = "imec0",
    with_lf: bool = True,
    seed: int = 0,
    block_seconds: float = 1.0,
    first_sample: int = 0,
) -> Path:
    """Write a SpikeGLX Neuropixels 1.0 run and return the probe folder holding its ``.bin``/``.meta`` files.

    The layout is SpikeGLX's own, ``folder/{run}_g0/{run}_g0_{probe}/{run}_g0_t0.{probe}.ap.bin`` (plus the
    ``.lf`` pair when ``with_lf``), so both the stream readers (given the probe folder) and the run-level
    converters find it. Give exactly one of ``seconds`` (AP duration) or ``size_bytes`` (AP ``.bin`` size,
    rounded down to whole samples). Data are written ``block_seconds`` at a time, so memory stays small for
    files of tens of GB; the same arguments always produce the same bytes.
    """
    if (seconds is None) == (size_bytes is None):
        raise ValueError("give exactly one of seconds or size_bytes")
    bytes_per_sample = 2 * NUM_SAVED_CHANNELS
    n_ap = (
        int(size_bytes // bytes_per_sample) if size_bytes is not None else int(round(seconds * AP_SAMPLING_FREQUENCY))
    )
    if n_ap < 12:
        raise ValueError("session too short: need at least 12 AP samples (one LF sample)")
    if block_seconds <= 0:
        raise ValueError("block_seconds must be positive")

    gate = f"{run_name}_g0"
    probe_folder = Path(folder) / gate / f"{gate}_{probe}"
    probe_folder.mkdir(parents=True, exist_ok=True)
    # Where SpikeGLX would have written it on the acquisition PC: fixed so the meta does not depend on
    # `folder`. Readers take run, probe and band from this name.
    acquisition_folder = f"D:/SpikeGLX/{gate}/{gate}_{probe}"
    serial_number = str(18005100000 + seed % 100000)
    rng = np.random.default_rng(seed)
    units = _Units.random(rng, _N_UNITS)

    bands = [("ap", n_ap, AP_SAMPLING_FREQUENCY)]
    if with_lf:
        bands.append(("lf", n_ap // 12, LF_SAMPLING_FREQUENCY))
    else:  # a stale LF pair from an earlier call would not match the new AP file
        for suffix in (".bin", ".meta"):
            (probe_folder / f"{gate}_t0.{probe}.lf{suffix}").unlink(missing_ok=True)
    for kind, n_samples, rate in bands:
        stem = f"{gate}_t0.{probe}.{kind}"
        bin_path = probe_folder / f"{stem}.bin"
        band_rng = np.random.default_rng([seed, 0 if kind == "ap" else 1])
        sha1 = _write_band(
            bin_path,
            kind=kind,
            n_samples=n_samples,
            block_len=max(1, int(round(block_seconds * rate))),
            rng=band_rng,
            units=units if kind == "ap" else None,
        )
        meta = _meta_text(
            kind=kind,
            original_path=f"{acquisition_folder}/{stem}.bin",
            file_size=n_samples * bytes_per_sample,
            sha1=sha1,
            n_samples=n_samples,
            first_sample=first_sample,
            serial_number=serial_number,
        )
        (probe_folder / f"{stem}.meta").write_text(meta, newline="\n")
    return probe_folder


def write_phy_sorting(
    folder: Path,
    *,
    sampling_frequency: float = AP_SAMPLING_FREQUENCY,
    duration_s: float,
    n_units: int = 8,
    seed: int = 0,
    n_channels: int = NUM_CHANNELS,
    dat_path: str | Path | None = None,
) -> Path:
    """Write a minimal KiloSort/Phy output folder, as ``read_phy`` and ``read_kilosort`` open it; return it.

    Units fire as Poisson processes with a 2 ms refractory period, each with a template centred on its own
    contact, a KiloSort label (``cluster_KSLabel.tsv``) and a Phy curation label (``cluster_group.tsv``).
    ``dat_path`` points ``params.py`` at the recording the sorting belongs to (e.g. the AP ``.bin``).
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng([seed, 2])
    n_total = int(round(duration_s * sampling_frequency))
    refractory = int(round(0.002 * sampling_frequency))

    times, clusters = [], []
    rates = np.clip(rng.lognormal(np.log(6.0), 0.7, n_units), 0.5, 50.0)
    for unit, rate in enumerate(rates):
        mean_isi = sampling_frequency / rate
        n_draw = int(duration_s * rate * 1.5) + 10
        isi = refractory + rng.exponential(max(mean_isi - refractory, 1.0), n_draw)
        spikes = np.cumsum(isi).astype(np.int64)
        spikes = spikes[spikes < n_total]
        times.append(spikes)
        clusters.append(np.full(len(spikes), unit, dtype=np.int32))
    spike_times = np.concatenate(times) if times else np.zeros(0, np.int64)
    spike_clusters = np.concatenate(clusters) if clusters else np.zeros(0, np.int32)
    order = np.argsort(spike_times, kind="stable")
    spike_times, spike_clusters = spike_times[order], spike_clusters[order]

    n_t = 61  # KiloSort 2 template length
    peak_channels = np.sort(rng.choice(n_channels, n_units, replace=n_units > n_channels))
    positions = (
        channel_positions_um()[:n_channels]
        if n_channels <= NUM_CHANNELS
        else np.column_stack([np.zeros(n_channels), np.arange(n_channels) * _ROW_PITCH_UM])
    )
    t = np.arange(n_t)[:, None]
    shape = -np.exp(-0.5 * ((t - 20) / 2.5) ** 2) + 0.35 * np.exp(-0.5 * ((t - 32) / 6.0) ** 2)
    templates = np.zeros((n_units, n_t, n_channels), dtype=np.float32)
    for unit, peak in enumerate(peak_channels):
        distance = np.linalg.norm(positions - positions[peak], axis=1)
        templates[unit] = (shape * np.exp(-distance / 30.0)[None, :]).astype(np.float32)
    templates[np.abs(templates) < 1e-3] = 0.0
    amplitudes = rng.lognormal(np.log(20.0), 0.25, len(spike_times))

    np.save(folder / "spike_times.npy", spike_times.astype(np.uint64))
    np.save(folder / "spike_clusters.npy", spike_clusters)
    np.save(folder / "spike_templates.npy", spike_clusters.astype(np.uint32))
    np.save(folder / "amplitudes.npy", amplitudes)
    np.save(folder / "templates.npy", templates)
    np.save(folder / "channel_map.npy", np.arange(n_channels, dtype=np.int32))
    np.save(folder / "channel_positions.npy", positions.astype(np.float64))
    flat = templates.reshape(n_units, -1)
    norms = np.linalg.norm(flat, axis=1)
    np.save(folder / "similar_templates.npy", (flat @ flat.T / np.outer(norms, norms)).astype(np.float32))

    dat = Path(dat_path).as_posix() if dat_path is not None else "recording.dat"
    (folder / "params.py").write_text(
        f"dat_path = {dat!r}\n"
        f"n_channels_dat = {n_channels + 1 if dat_path is not None else n_channels}\n"
        "dtype = 'int16'\n"
        "offset = 0\n"
        f"sample_rate = {float(sampling_frequency)!r}\n"
        "hp_filtered = False\n"
    )
    ks_labels = np.where(rng.random(n_units) < 0.7, "good", "mua")
    groups = np.where(rng.random(n_units) < 0.9, ks_labels, "noise")
    contamination = np.where(ks_labels == "good", rng.uniform(0, 10, n_units), rng.uniform(10, 60, n_units))
    unit_amplitude = rng.uniform(15.0, 60.0, n_units)

    def write_tsv(name: str, column: str, values: list[str]) -> None:
        rows = "".join(f"{unit}\t{value}\n" for unit, value in enumerate(values))
        (folder / name).write_text(f"cluster_id\t{column}\n{rows}")

    write_tsv("cluster_KSLabel.tsv", "KSLabel", list(ks_labels))
    write_tsv("cluster_group.tsv", "group", list(groups))
    write_tsv("cluster_ContamPct.tsv", "ContamPct", [f"{v:.1f}" for v in contamination])
    write_tsv("cluster_Amplitude.tsv", "Amplitude", [f"{v:.1f}" for v in unit_amplitude])
    return folder


def write_demo_session(folder: Path, *, seconds: float = 10.0) -> dict[str, Path]:
    """Write a small SpikeGLX run (AP + LF) and a Phy sorting of it, so the demo has one session to convert.

    Returns ``spikeglx_folder`` (the probe folder), ``spikeglx_run_folder`` (the ``_g0`` folder) and
    ``phy_folder``.
    """
    folder = Path(folder)
    probe_folder = write_spikeglx_session(folder, seconds=seconds, with_lf=True)
    ap_bin = next(probe_folder.glob("*.ap.bin"))
    phy_folder = write_phy_sorting(folder / "phy", duration_s=seconds, dat_path=ap_bin)
    return {
        "spikeglx_folder": probe_folder,
        "spikeglx_run_folder": probe_folder.parent,
        "phy_folder": phy_folder,
    }
