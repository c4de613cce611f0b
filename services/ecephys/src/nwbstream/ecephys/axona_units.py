"""Axona unit-mode trials (.set + tetrode files .1 ... .32) as a recording: each spike's stored waveform at its
time on its tetrode's four channels, over seeded Gaussian noise where nothing was stored.

In unit mode DacqUSB keeps no continuous signal, only a 50-sample cut-out per spike and channel. NeuroConv's
AxonaUnitRecordingInterface was meant to present such a trial as a recording filled in with noise; this is that
recording, made reproducible (the noise of any stretch of samples is the same on every read).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from nwbstream.service import Detection, FolderListing, SourceError
from nwbstream.service.detection import HEADER, relative

from .axona import DataFile, dacq_header, read_set
from .axona_raw import BaseAxonaTrialInterface

CHANNELS_PER_TETRODE = 4
DEFAULT_PRETRIGGER = 10  # samples before the trigger in a cut-out, when the .set predates its pretrigSamps field
NOISE_BLOCK = 1 << 16  # noise is drawn per block of this many samples, seeded by the block's index
NOISE_SEED = 0


class TetrodeFile:
    """One tetrode's .N file: its spikes' times (timebase ticks) and int8 cut-outs, and the rates they are at."""

    def __init__(self, path: Path):
        file = DataFile(path, "tetrode")
        self.header = file.header
        try:
            n_spikes = int(file.field("num_spikes"))
            n_channels = int(file.field("num_chans"))
            n_samples = int(file.field("samples_per_spike"))
            bytes_per_sample = int(file.header.get("bytes_per_sample", "1"))
            self.timebase = float(file.field("timebase").split()[0])
            self.rate = float(file.field("sample_rate").split()[0])
        except ValueError as error:
            raise SourceError(f"{path}: cannot be read: header field malformed: {error}") from error
        if n_channels != CHANNELS_PER_TETRODE or bytes_per_sample != 1:
            raise SourceError(
                f"{path}: {n_channels} channels of {bytes_per_sample} bytes a sample: only tetrode files of "
                "one byte a sample are read"
            )
        record = np.dtype([("time", ">i4"), ("samples", "i1", (n_samples,))])
        data = file.data(n_spikes * n_channels * record.itemsize, f"{n_spikes} spikes")
        records = np.frombuffer(data, dtype=record).reshape(n_spikes, n_channels)
        self.times = records["time"][:, 0].astype(np.int64)
        self.waveforms = np.ascontiguousarray(records["samples"])  # spikes x channels x samples


def tetrode_files(set_file: Path) -> dict[int, Path]:
    """Every tetrode file of the trial: `<trial>.1` to `<trial>.32` beside its .set (absent ones skipped)."""
    return {n: p for n in range(1, 33) if (p := set_file.with_suffix(f".{n}")).is_file()}


def unit_mode_recording(
    tetrodes: dict[int, TetrodeFile], n_samples: int, rate: float, pretrigger: int, noise_std: float
):
    """A spikeinterface recording of the tetrodes' channels (int8, in the cut-outs' own steps), named as neo names
    Axona channels: the tetrode's number and a letter (5a .. 5d)."""
    from spikeinterface.core import BaseRecording, BaseRecordingSegment

    # Where each cut-out starts, in samples of the recording.
    starts = {n: (t.times * rate / t.timebase).astype(np.int64) - pretrigger for n, t in tetrodes.items()}

    class UnitModeSegment(BaseRecordingSegment):
        def get_num_samples(self) -> int:
            return n_samples

        def get_traces(self, start_frame=None, end_frame=None, channel_indices=None):
            start = 0 if start_frame is None else int(start_frame)
            end = n_samples if end_frame is None else int(end_frame)
            traces = _noise(start, end, CHANNELS_PER_TETRODE * len(tetrodes), noise_std)
            for index, (number, tetrode) in enumerate(tetrodes.items()):
                _place_cut_outs(traces, start, starts[number], tetrode.waveforms, index * CHANNELS_PER_TETRODE)
            return traces if channel_indices is None else traces[:, channel_indices]

    names = [f"{n}{letter}" for n in tetrodes for letter in "abcd"]
    recording = BaseRecording(sampling_frequency=rate, channel_ids=names, dtype=np.int8)
    recording.add_recording_segment(UnitModeSegment(sampling_frequency=rate))
    return recording


def _noise(start: int, end: int, n_channels: int, noise_std: float) -> np.ndarray:
    """Gaussian noise of `noise_std` steps, rounded to int8, the same for a sample whoever asks for it."""
    traces = np.zeros((end - start, n_channels), dtype=np.int8)
    if noise_std <= 0 or end <= start:
        return traces
    for block in range(start // NOISE_BLOCK, (end - 1) // NOISE_BLOCK + 1):
        values = np.random.default_rng((NOISE_SEED, block)).normal(0.0, noise_std, (NOISE_BLOCK, n_channels))
        first, last = max(start, block * NOISE_BLOCK), min(end, (block + 1) * NOISE_BLOCK)
        rows = values[first - block * NOISE_BLOCK : last - block * NOISE_BLOCK]
        traces[first - start : last - start] = np.clip(np.rint(rows), -128, 127)
    return traces


def _place_cut_outs(traces: np.ndarray, start: int, starts: np.ndarray, waveforms: np.ndarray, column: int) -> None:
    """Write the cut-outs overlapping traces' rows (samples start..) into its four columns; a later spike's
    cut-out overwrites an earlier one where they overlap."""
    length = waveforms.shape[2]
    end = start + len(traces)
    for spike in np.flatnonzero((starts + length > start) & (starts < end)):
        first, last = max(starts[spike], start), min(starts[spike] + length, end)
        cut = waveforms[spike, :, first - starts[spike] : last - starts[spike]]
        traces[first - start : last - start, column : column + CHANNELS_PER_TETRODE] = cut.T


class AxonaUnitRecordingInterface(BaseAxonaTrialInterface):
    display_name = "Axona Units"
    associated_suffixes = (".bin", ".set")
    info = "Interface for Axona recording data."
    differs_from_neuroconv = (
        "NeuroConv 0.10.2's own __init__ raises TypeError on every input (it passes filename= to a parent that "
        "takes file_path); here the trial's tetrode files are the recording NeuroConv meant: each cut-out at its "
        "spike time over Gaussian noise of noise_std steps, reproducible (seeded per block of samples)"
    )

    @classmethod
    def detect(cls, listing: FolderListing) -> list[Detection]:
        """A DacqUSB trial's .set with tetrode files (.1 ... .32 of its name, headers counting spikes) beside it;
        the claim covers the tetrode files (the .set describes every file of the trial)."""
        detections = []
        for set_file in listing.with_suffix(".set"):
            if dacq_header(listing, set_file, "trial_date", "ADC_fullscale_mv") is None:
                continue
            tetrodes = [
                found
                for n in range(1, 33)
                if (found := listing.sibling(set_file, f"{set_file.stem}.{n}")) is not None
                and dacq_header(listing, found, "num_spikes", "samples_per_spike") is not None
            ]
            if tetrodes:
                evidence = f"{set_file}: DacqUSB trial with tetrode files {', '.join(t.name for t in tetrodes)}"
                source = {"file_path": relative(set_file)}
                detections.append(Detection(cls.__name__, source, tuple(map(str, tetrodes)), HEADER, evidence))
        return detections

    def __init__(self, file_path: Path, noise_std: float = 3.5):
        """
        Parameters
        ----------
        file_path : Path
            The trial's .set file (its tetrode files .1, .2, ... beside it).
        noise_std : float
            Standard deviation, in the cut-outs' steps, of the noise filling the samples no spike covers.
        """
        set_file = Path(file_path).with_suffix(".set")
        self.set_header = read_set(set_file)
        files = tetrode_files(set_file)
        if not files:
            raise SourceError(f"{set_file}: no tetrode file (.1 ... .32) beside it")
        tetrodes = {n: TetrodeFile(p) for n, p in files.items()}
        rates = {t.rate for t in tetrodes.values()}
        if len(rates) != 1:
            raise SourceError(f"{set_file.parent}: the tetrode files differ in sampling rate {sorted(rates)}")
        rate = rates.pop()
        duration = float(next(iter(tetrodes.values())).header.get("duration", self.set_header.get("duration", "0")))
        if duration <= 0:
            raise SourceError(f"{set_file}: the trial's duration is not given (by its tetrode files or its .set)")
        pretrigger = int(self.set_header.get("pretrigSamps", DEFAULT_PRETRIGGER))
        self.recording = unit_mode_recording(tetrodes, int(duration * rate), rate, pretrigger, noise_std)
        self.recording.set_channel_gains(self._microvolts_per_step(list(tetrodes)))
        self.recording.set_channel_offsets(0.0)
        self.tetrodes = [n for n in tetrodes for _ in range(CHANNELS_PER_TETRODE)]
        self.es_key = "ElectricalSeries"

    def _microvolts_per_step(self, tetrodes: list[int]) -> list[float]:
        """A one-byte sample spans the ADC's full scale over 128 steps, divided by its channel's gain."""
        full_scale_uv = 1000 * float(self.set_header["ADC_fullscale_mv"])
        gains = [
            float(self.set_header[f"gain_ch_{(n - 1) * CHANNELS_PER_TETRODE + i}"])
            for n in tetrodes
            for i in range(CHANNELS_PER_TETRODE)
        ]
        return [full_scale_uv / (gain * 128) for gain in gains]
