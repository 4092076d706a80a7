"""The photon generator: :class:`SimulatedStream` (block by block) and :func:`simulate_photons`."""

from __future__ import annotations

import math
from dataclasses import fields, replace

import numpy as np

from ..io.events import PhotonChunk, StreamInfo, concatenate_chunks
from ..kernels import simulate as _k
from .config import SOURCE_BACKGROUND, SOURCE_BIEXCITON, SOURCE_CASCADE_EXCITON, SOURCE_EXCITON, SimulationConfig
from .records import GenerationRecord, PhotonLabels, SimulatedPhotons, StateTrajectory
from .samplers import _DrawStream, _DwellSampler, _DwellStats, _streams, _SwitchingProcess, _Trajectory
from .states import _Rates, emitter_states
from .truth import _assemble_truth, _binned_truth, _diff_cdf, _photon_delay_mixture

__all__ = ["SimulatedStream", "simulate_photons"]


#: Gaussian jitter is clipped at this many standard deviations, so that the earliest
#: possible arrival after a pulse is known exactly (needed to emit photons in time order).
_JITTER_CLIP_SIGMA = 8.0


_FWHM_PER_SIGMA = 2.0 * math.sqrt(2.0 * math.log(2.0))


_LABEL_KEYS = ("state", "pulse", "delay_ns")


class SimulatedStream:
    """A simulated measurement generated block by block in bounded memory.

    Parameters
    ----------
    config : SimulationConfig, optional
    keep_trajectory : bool
        Keep the state change points for :attr:`trajectory` (default True; 16 bytes per
        change of state).
    **params
        Fields of :class:`SimulationConfig` (override ``config``).

    Examples
    --------
    >>> from tttr.simulate import SimulatedStream
    >>> sim = SimulatedStream(model="nonblinking", duration_s=0.2, seed=1)
    >>> n = sum(len(c) for c in sim.chunks())
    >>> sim.truth()["acquisition"]["n_photons"] == n
    True

    Notes
    -----
    :meth:`chunks` can run once; :meth:`truth`, :attr:`record` and :attr:`trajectory` are
    available after it is exhausted. The
    emitter state, pending photons, dead-time memory and every random stream are carried
    from block to block, and every random stream is consumed in an order that does not
    depend on the blocks, so the photons do not depend on ``block_duration_s``.
    """

    def __init__(self, config: SimulationConfig | None = None, *, keep_trajectory: bool = True, **params):
        config = config or SimulationConfig()
        if params:
            config = replace(config, **params)
        if config.seed is None:
            config = replace(config, seed=int(np.random.SeedSequence().entropy % (1 << 63)))
        self.config = config
        self.states = emitter_states(config)
        self.rates = _Rates(config, self.states)
        c = config
        self.t3 = c.mode == "t3"
        if c.pulsed:
            self.n_pulses = int(math.floor(c.duration_s * c.repetition_rate_hz + 1e-6))
            self.t_end_s = self.n_pulses * c.period_s
        else:
            self.n_pulses = 0
            self.t_end_s = float(c.duration_s)
        self.nb_period = math.ceil(c.period_s / c.nanotimes_unit_s - 1e-9) if self.t3 else 0
        # T2: the period in tags, snapped to an integer when only rounding error separates them
        x = c.period_s / c.t2_timestamps_unit_s
        self.period_ticks = float(round(x)) if abs(x - round(x)) < 1e-9 * x else x
        split = np.array([c.splitter_ratio, 1.0 - c.splitter_ratio])
        self._bg_rate = np.array(c.dark_counts_cps) + c.background_cps * split  # per detector (1/s)
        self.sigma_ns = c.irf_fwhm_ns / _FWHM_PER_SIGMA
        # earliest arrival after its pulse (or emission) of any signal photon: jitter is clipped
        self.min_offset_ns = min(c.detector_delays_ns) - _JITTER_CLIP_SIGMA * self.sigma_ns
        self._done = False
        self._started = False
        self._truth = None
        self._record = None
        self._keep_trajectory = bool(keep_trajectory)
        self._switch_parts = ([], [])  # segment starts (s) and states, as drawn

    # -- metadata --------------------------------------------------------------------------

    @property
    def info(self) -> StreamInfo:
        """The stream's metadata in the common event model."""
        c = self.config
        return StreamInfo(
            path="<simulation>", format="simulation", record_type=f"simulated {c.mode.upper()}",
            mode=c.mode.upper(), timestamps_unit_s=c.period_s if self.t3 else c.t2_timestamps_unit_s,
            nanotimes_unit_s=c.nanotimes_unit_s if self.t3 else None,
            sync_rate_hz=c.repetition_rate_hz if c.pulsed else None, n_records=-1,
            tcspc_num_bins=self.nb_period if self.t3 else None, acquisition_time_s=self.t_end_s,
        )

    # -- generation ------------------------------------------------------------------------

    def chunks(self, *, labels: bool = False):
        """Yield the photons block by block.

        Parameters
        ----------
        labels : bool
            Also yield a :class:`PhotonLabels` per chunk: items are then
            ``(PhotonChunk, PhotonLabels)``.

        Yields
        ------
        PhotonChunk or (PhotonChunk, PhotonLabels)
            Time-ordered photons of one block (possibly empty).
        """
        if self._started:
            raise RuntimeError("a SimulatedStream runs once; make a new one")
        self._started = True
        self._setup()
        gen = self._pulsed_blocks(labels) if self.config.pulsed else self._cw_blocks(labels)
        for out in gen:
            ts, det, nt, lab = out
            chunk = PhotonChunk(timestamps=ts, detectors=det, nanotimes=nt)
            if labels:
                yield chunk, PhotonLabels(state=lab["state"].astype(np.int16), source=lab["source"],
                                          pulse=lab["pulse"], delay_ns=lab["delay_ns"])
            else:
                yield chunk
        self._done = True

    def _setup(self):
        c = self.config
        self.streams = _streams(c.seed)
        s = self.streams
        n_lv = len(c.bc_level_lifetimes_ns)

        def sampler(side, stream):
            return _DwellSampler(getattr(c, f"dwell_law_{side}"), getattr(c, f"alpha_{side}"),
                                 getattr(c, f"t_min_{side}_s"), getattr(c, f"truncation_{side}_s"),
                                 getattr(c, f"mean_dwell_{side}_s"), stream)

        def stats(side):
            return _DwellStats(getattr(c, f"dwell_law_{side}"), getattr(c, f"alpha_{side}"),
                               getattr(c, f"t_min_{side}_s"), getattr(c, f"truncation_{side}_s"),
                               getattr(c, f"mean_dwell_{side}_s"))

        procs = []
        if c.model == "mixed" and c.auger_share is not None:
            # one process: OFF level 1 = trion (weight p), 1 + i = exciton with trap i ((1 − p)/n each)
            w = np.concatenate(([c.auger_share], np.full(n_lv, (1.0 - c.auger_share) / n_lv)))
            procs.append(_SwitchingProcess("dim", n_lv + 1, sampler("on", s["charge_on"]), sampler("off", s["charge_off"]),
                                           s["charge_level"], self.t_end_s, stats("on"), stats("off"),
                                           level_cdf=np.cumsum(w)[:-1]))
            state_of = np.array([0, n_lv + 1] + list(range(1, n_lv + 1)), np.int64)

            def combine(levels):
                return state_of[levels[0]]
        elif c.model in ("auger", "mixed"):
            procs.append(_SwitchingProcess("charge", 1, sampler("on", s["charge_on"]), sampler("off", s["charge_off"]),
                                           s["charge_level"], self.t_end_s, stats("on"), stats("off")))
        if c.model == "bc" or (c.model == "mixed" and c.auger_share is None):
            procs.append(_SwitchingProcess("trap", n_lv, sampler("on", s["trap_on"]), sampler("off", s["trap_off"]),
                                           s["trap_level"], self.t_end_s, stats("on"), stats("off")))
        if c.model == "mixed" and c.auger_share is not None:
            pass  # combine defined with the process above
        elif c.model == "mixed":
            def combine(levels):
                return levels[0] * (n_lv + 1) + levels[1]
        else:
            def combine(levels):
                return levels[0]
        self.processes = procs
        self._segment_source = _Trajectory(procs, combine, self.t_end_s)
        # live segments
        self._seg = {"start_s": np.empty(0), "end_s": np.empty(0), "state": np.empty(0, np.int64)}
        # truth accumulators
        self.bin_width_s = float(c.truth_bin_width_s)
        self.n_bins = int(math.floor(self.t_end_s / self.bin_width_s + 1e-9))
        self._bins = np.zeros((self.n_bins, 5))
        self._occupancy = np.zeros(self.rates.n)
        self._runs = {"on": [0, 0.0], "off": [0, 0.0], "cur_on": None, "cur_start": 0.0}
        self._counts = {"lost_dead_time": 0, "per_source": np.zeros(4, np.int64), "per_detector": np.zeros(2, np.int64)}
        self._dead = {"last_coarse": np.zeros(2, np.int64), "last_fine": np.zeros(2, np.int64),
                      "has_last": np.zeros(2, np.uint8), "dead_s": np.array(c.dead_time_ns) * 1e-9}
        self._bg_next = [None, None]  # carried pending background arrival of each detector (absolute s)
        self._carry = None

    # segments ------------------------------------------------------------------------------

    def _ensure_segments(self, horizon_s: float):
        seg = self._seg
        while seg["end_s"].size == 0 or seg["end_s"][-1] < horizon_s:
            st, en, sta = self._segment_source.segments(horizon_s)
            if st.size == 0:
                break
            self._count_runs(st, en, sta)
            if self._keep_trajectory:
                inside = st < self.t_end_s
                self._switch_parts[0].append(st[inside])
                self._switch_parts[1].append(sta[inside])
            seg["start_s"] = np.concatenate((seg["start_s"], st))
            seg["end_s"] = np.concatenate((seg["end_s"], en))
            seg["state"] = np.concatenate((seg["state"], sta))
            if self.config.pulsed:
                f = self.config.repetition_rate_hz
                seg["start_pulse"] = np.ceil(seg["start_s"] * f).astype(np.int64)
                seg["end_pulse"] = np.ceil(seg["end_s"] * f).astype(np.int64)

    def _trim_segments(self, keep_from_end):
        """Drop segments that end at or before ``keep_from_end`` (in the kernel's unit)."""
        seg = self._seg
        key = seg["end_pulse"] if self.config.pulsed else seg["end_s"]
        i = int(np.searchsorted(key, keep_from_end, side="right"))
        if i:
            for name in list(seg):
                seg[name] = seg[name][i:]
        return i

    def _count_runs(self, start, end, state):
        """Streaming count of the complete ON and OFF dwells of the combined state."""
        r = self._runs
        keep = start < self.t_end_s
        st = start[keep]
        on = np.array([x.is_on for x in self.states])[state[keep]]
        if on.size == 0:
            return
        if r["cur_on"] is None:
            r["cur_on"], r["cur_start"] = bool(on[0]), float(st[0])
        prev = np.concatenate(([r["cur_on"]], on[:-1]))
        chg = np.flatnonzero(on != prev)  # segments where the ON/OFF run changes
        run_start = np.concatenate(([r["cur_start"]], st[chg]))
        run_on = np.concatenate(([r["cur_on"]], on[chg]))
        closed_len = st[chg] - run_start[:-1]
        complete = run_start[:-1] > 0.0  # the run that starts at t = 0 is censored
        for key, flag in (("on", True), ("off", False)):
            m = complete & (run_on[:-1] == flag)
            r[key][0] += int(m.sum())
            r[key][1] += float(closed_len[m].sum())
        r["cur_on"], r["cur_start"] = bool(run_on[-1]), float(run_start[-1])

    def _weights(self):
        """Per-state weights of the binned truth, per unit of the segment clock."""
        r, c = self.rates, self.config
        loss = self._loss_per_s()
        on = np.array([1.0 if s.is_on else 0.0 for s in self.states])
        if c.pulsed:
            f = c.repetition_rate_hz
            mean = r.mu
            var = r.mu + 2 * r.both - r.mu ** 2
            return np.ascontiguousarray(np.stack([mean, var, loss / f, on, np.ones(r.n)], axis=1))
        mean = r.signal_cps
        var = r.signal_cps * (1.0 - 2.0 * r.signal_cps / r.antibunching_rate_hz)
        return np.ascontiguousarray(np.stack([mean, var, loss, on, np.ones(r.n)], axis=1))

    # pulsed ---------------------------------------------------------------------------------

    def _pulsed_blocks(self, labels):
        c, r = self.config, self.rates
        f = c.repetition_rate_hz
        block = max(1, int(round(c.block_duration_s * f)))
        # bin b holds the pulses j with j*P in [b*T, (b+1)*T): j >= ceil(b*T*f), with b*T*f
        # snapped to an integer when rounding error alone moves it off one
        x = np.arange(self.n_bins + 1) * (self.bin_width_s * f)
        xr = np.round(x)
        edges = np.ceil(np.where(np.abs(x - xr) < 1e-6, xr, x))
        weights = self._weights()
        ev_state = np.array([0, 0, -1], np.int64)
        j0 = 0
        while j0 < self.n_pulses:
            j1 = min(j0 + block, self.n_pulses)
            final = j1 == self.n_pulses
            self._ensure_segments((j1 + 1) / f)
            seg = self._seg
            seg_p = np.ascontiguousarray(r.q_event[seg["state"]])
            _k.accumulate_bins(seg["start_pulse"].astype(np.float64), seg["end_pulse"].astype(np.float64),
                               seg["state"], float(j0), float(j1), edges, weights, self._bins, self._occupancy)
            pulses, segs = self._run_event_kernel(seg["end_pulse"], seg_p, j1, ev_state, r.q_event.max() * (j1 - j0))
            st = seg["state"][segs]
            ph = self._pulsed_photons(pulses, st, labels)
            # cut: every later photon comes from a pulse >= j1 with offset >= min_offset
            if final:  # the measurement ends with the last pulse's period
                cut_key = self.n_pulses * self.nb_period if self.t3 else int(
                    math.floor(self.n_pulses * self.period_ticks))
                cut_s = self.t_end_s
            else:
                k, _, _ = self._pulsed_keys(np.array([j1], np.int64), np.array([self.min_offset_ns]))
                cut_key = int(k[0])
                cut_s = j1 / f + self.min_offset_ns * 1e-9
            bg = self._background(cut_s, labels)
            yield self._finish_block([ph, bg], cut_key, final, labels)
            dropped = self._trim_segments(j1)
            ev_state[0] -= dropped
            j0 = j1

    def _run_event_kernel(self, seg_end_pulse, seg_p, stop, state, expected):
        stream = self.streams["pulse_gap"]
        cap = int(expected * 1.1 + 6 * math.sqrt(expected + 1) + 1024)
        out_p, out_k = np.empty(cap, np.int64), np.empty(cap, np.int64)
        parts_p, parts_k = [], []
        need = int(expected + 6 * math.sqrt(expected + 1)) + 1024
        while True:
            u = stream.peek(need)
            n, used = _k.event_pulses(seg_end_pulse, seg_p, u, stop, state, out_p, out_k)
            stream.advance(used)
            parts_p.append(out_p[:n].copy())
            parts_k.append(out_k[:n].copy())
            if n == cap:
                continue
            if used == u.shape[0]:
                need = u.shape[0] + _DrawStream.PIECE
                continue
            break
        return np.concatenate(parts_p), np.concatenate(parts_k)

    def _pulsed_keys(self, pulse, offset_ns):
        """(sort key, coarse, fine) of photons at ``pulse·P + offset_ns``; see docs on wrapping."""
        c = self.config
        p_ns = 1e9 / c.repetition_rate_hz
        if self.t3:
            q = np.floor(offset_ns / p_ns)
            rem = np.clip(offset_ns - q * p_ns, 0.0, None)
            nt = np.minimum((rem / (c.nanotimes_unit_s * 1e9)).astype(np.int64), self.nb_period - 1)
            sync = pulse + q.astype(np.int64)
            return sync * self.nb_period + nt, sync, nt
        ticks = np.floor(pulse * self.period_ticks + offset_ns * (1e-9 / c.t2_timestamps_unit_s)).astype(np.int64)
        return ticks, ticks, np.zeros_like(ticks)

    def _pulsed_photons(self, pulses, st, labels):
        c, r = self.config, self.rates
        s = self.streams
        n = pulses.shape[0]
        u_cat = s["category"].take(n)
        e_bx = s["biexciton_delay"].take(n)
        e_x = s["exciton_delay"].take(n)
        z = s["jitter"].take(2 * n).reshape(n, 2)
        ud = s["detector"].take(2 * n).reshape(n, 2)
        cat = (u_cat[:, None] >= r.cat_cum[st]).sum(axis=1)
        t_bx = e_bx * r.tau_bx_ns[st]
        t_x = e_x * r.tau_ns[st]
        first = np.where(cat == 0, t_x, np.where(cat == 2, t_bx + t_x, t_bx))
        src1 = np.where(cat == 0, SOURCE_EXCITON, np.where(cat == 2, SOURCE_CASCADE_EXCITON, SOURCE_BIEXCITON))
        two = cat == 3
        delay = np.concatenate((first, (t_bx + t_x)[two]))
        src = np.concatenate((src1, np.full(int(two.sum()), SOURCE_CASCADE_EXCITON))).astype(np.uint8)
        zz = np.concatenate((z[:, 0], z[two, 1]))
        uu = np.concatenate((ud[:, 0], ud[two, 1]))
        pulse = np.concatenate((pulses, pulses[two]))
        det = (uu >= c.splitter_ratio).astype(np.uint8)
        offset = delay + np.asarray(c.detector_delays_ns)[det] + self.sigma_ns * np.clip(zz, -_JITTER_CLIP_SIGMA,
                                                                                          _JITTER_CLIP_SIGMA)
        key, coarse, fine = self._pulsed_keys(pulse, offset)
        out = {"key": key, "coarse": coarse, "fine": fine, "det": det, "source": src}
        if labels:
            out.update(state=np.concatenate((st, st[two])), pulse=pulse, delay_ns=delay)
        return out

    def _background(self, cut_s, labels):
        """Dark counts and background light on both detectors up to ``cut_s`` (absolute)."""
        c = self.config
        parts = []
        for d in (0, 1):
            rate = self._bg_rate[d]
            if rate <= 0:
                continue
            stream = self.streams[f"background{d}"]
            times = []
            t = self._bg_next[d]
            if t is None:  # first arrival of the run
                t = float(stream.take(1)[0] / rate)
            while t < cut_s:
                m = int((cut_s - t) * rate * 1.05 + 5 * math.sqrt((cut_s - t) * rate + 1) + 16)
                e = stream.peek(m)[:m]
                arr = np.cumsum(np.concatenate(([t], e / rate)))  # arr[0] = t, arr[i] = next arrivals
                i = int(np.searchsorted(arr, cut_s, side="left"))  # arr[:i] < cut_s
                if i <= m:  # arr[i] >= cut_s is the next pending arrival
                    times.append(arr[:i])
                    stream.advance(i)
                    t = float(arr[i])
                else:
                    times.append(arr[:m])
                    stream.advance(m)
                    t = float(arr[m])
            self._bg_next[d] = t
            if not times:
                continue
            ts = np.concatenate(times)
            ts = ts[ts < min(cut_s, self.t_end_s)]
            if self.t3:
                p = c.period_s
                sync = np.floor(ts / p).astype(np.int64)
                rem = np.clip(ts - sync * p, 0.0, None)
                nt = np.minimum((rem / c.nanotimes_unit_s).astype(np.int64), self.nb_period - 1)
                key, coarse, fine = sync * self.nb_period + nt, sync, nt
            else:
                key = np.floor(ts / c.t2_timestamps_unit_s).astype(np.int64)
                coarse, fine = key, np.zeros_like(key)
            part = {"key": key, "coarse": coarse, "fine": fine, "det": np.full(key.shape[0], d, np.uint8),
                    "source": np.full(key.shape[0], SOURCE_BACKGROUND, np.uint8)}
            if labels:
                part.update(state=np.full(key.shape[0], -1, np.int64), pulse=np.full(key.shape[0], -1, np.int64),
                            delay_ns=np.full(key.shape[0], np.nan))
            parts.append(part)
        return parts

    def _finish_block(self, parts, cut_key, final, labels):
        """Merge, sort, emit photons before ``cut_key``, carry the rest, apply dead time."""
        flat = []
        for p in parts:
            flat.extend(p if isinstance(p, list) else [p])
        if self._carry is not None:
            flat.insert(0, self._carry)
        names = ["key", "coarse", "fine", "det", "source"] + (list(_LABEL_KEYS) if labels else [])
        allp = {nm: np.concatenate([p[nm] for p in flat]) if flat else np.empty(0) for nm in names}
        order = np.argsort(allp["key"], kind="stable")
        for nm in names:
            allp[nm] = allp[nm][order]
        n_final = int(np.searchsorted(allp["key"], cut_key, side="left"))
        if final:
            self._carry = None
        else:
            self._carry = {nm: allp[nm][n_final:] for nm in names}
        out = {nm: allp[nm][:n_final] for nm in names}
        keep = np.empty(n_final, np.bool_)
        dd = self._dead
        if self.t3:
            cu, fu = self.config.period_s, self.config.nanotimes_unit_s
        else:
            cu, fu = self.config.t2_timestamps_unit_s, 0.0
        coarse = np.ascontiguousarray(out["coarse"], np.int64)
        fine = np.ascontiguousarray(out["fine"], np.int64)
        det = np.ascontiguousarray(out["det"], np.uint8)
        _k.dead_time_keep(coarse, fine, det, cu, fu, dd["dead_s"], dd["last_coarse"], dd["last_fine"],
                          dd["has_last"], keep)
        self._counts["lost_dead_time"] += int(n_final - keep.sum())
        ts = coarse[keep]
        det = det[keep]
        nt = fine[keep].astype(np.uint16) if self.t3 else None
        src = out["source"][keep]
        self._counts["per_source"] += np.bincount(src, minlength=4)[:4]
        self._counts["per_detector"] += np.bincount(det, minlength=2)[:2]
        lab = {"source": src}
        if labels:
            lab.update({nm: out[nm][keep] for nm in _LABEL_KEYS})
        return ts, det, nt, lab

    # continuous wave -----------------------------------------------------------------------

    def _cw_blocks(self, labels):
        c, r = self.config, self.rates
        res = c.t2_timestamps_unit_s
        edges = np.arange(self.n_bins + 1) * self.bin_width_s
        weights = self._weights()
        state_k = np.zeros(1, np.int64)
        state_t = np.array([0.0, -1.0])
        t0 = 0.0
        block = c.block_duration_s
        while t0 < self.t_end_s:
            t1 = min(t0 + block, self.t_end_s)
            final = t1 >= self.t_end_s
            self._ensure_segments(t1 * (1 + 1e-12) + 1e-9)
            seg = self._seg
            _k.accumulate_bins(seg["start_s"], seg["end_s"], seg["state"], t0, t1, edges, weights, self._bins,
                               self._occupancy)
            r1 = np.ascontiguousarray(r.r1[seg["state"]])
            r2 = np.ascontiguousarray(r.r2[seg["state"]])
            times, segs = self._run_cw_kernel(seg["end_s"], r1, r2, t1, state_k, state_t,
                                              r.signal_cps.max() * (t1 - t0))
            st = seg["state"][segs]
            n = times.shape[0]
            s = self.streams
            z = s["jitter"].take(n)
            ud = s["detector"].take(n)
            det = (ud >= c.splitter_ratio).astype(np.uint8)
            off_s = (np.asarray(c.detector_delays_ns)[det]
                     + self.sigma_ns * np.clip(z, -_JITTER_CLIP_SIGMA, _JITTER_CLIP_SIGMA)) * 1e-9
            key = np.floor((times + off_s) / res).astype(np.int64)
            ph = {"key": key, "coarse": key, "fine": np.zeros_like(key), "det": det,
                  "source": np.full(n, SOURCE_EXCITON, np.uint8)}
            if labels:
                ph.update(state=st, pulse=np.full(n, -1, np.int64), delay_ns=np.full(n, np.nan))
            if final:
                cut_s = self.t_end_s
            else:
                cut_s = t1 + self.min_offset_ns * 1e-9
            cut_key = int(math.floor(cut_s / res))
            bg = self._background(cut_s, labels)
            yield self._finish_block([ph, bg], cut_key, final, labels)
            dropped = self._trim_segments(t1)
            state_k[0] -= dropped
            t0 = t1

    def _run_cw_kernel(self, seg_end_s, r1, r2, stop, state_k, state_t, expected):
        stream = self.streams["cw_interval"]
        cap = int(expected * 1.1 + 6 * math.sqrt(expected + 1) + 1024)
        out_t, out_k = np.empty(cap), np.empty(cap, np.int64)
        parts_t, parts_k = [], []
        need = 2 * int(expected + 6 * math.sqrt(expected + 1)) + 2048
        while True:
            e = stream.peek(need)
            n, used = _k.cw_detection_times(seg_end_s, r1, r2, e, float(stop), state_k, state_t, out_t, out_k)
            stream.advance(used)
            parts_t.append(out_t[:n].copy())
            parts_k.append(out_k[:n].copy())
            if n == cap:
                continue
            if used + 2 > e.shape[0]:
                need = e.shape[0] + _DrawStream.PIECE
                continue
            break
        return np.concatenate(parts_t), np.concatenate(parts_k)

    # truth ----------------------------------------------------------------------------------

    def truth(self) -> dict:
        """The ground truth (JSON-safe dict) of the finished run; see ``docs/simulator.md``."""
        if not self._done:
            raise RuntimeError("truth() is known once chunks() has been exhausted")
        if self._truth is None:
            self._truth = _assemble_truth(self)
        return self._truth

    @property
    def record(self) -> GenerationRecord:
        """What the finished run recorded besides its photons (:class:`GenerationRecord`)."""
        if not self._done:
            raise RuntimeError("the record is known once chunks() has been exhausted")
        if self._record is None:
            runs = self._runs
            self._record = GenerationRecord(
                background_cps=self._bg_rate.copy(), state_clock=self._occupancy.copy(), bin_sums=self._bins,
                loss_cps=self._loss_per_s(),
                dwell_runs={k: (int(runs[k][0]), float(runs[k][1])) for k in ("on", "off")},
                counts={"lost_dead_time": int(self._counts["lost_dead_time"]),
                        "per_source": self._counts["per_source"].copy(),
                        "per_detector": self._counts["per_detector"].copy()},
                trajectory=self._state_trajectory() if self._keep_trajectory else None)
        return self._record

    @property
    def trajectory(self) -> StateTrajectory | None:
        """The true state change points of the finished run (None without ``keep_trajectory``)."""
        return self.record.trajectory

    def _state_trajectory(self) -> StateTrajectory:
        starts, states = self._switch_parts
        t = np.concatenate(starts) if starts else np.zeros(1)
        st = np.concatenate(states).astype(np.int64) if states else np.zeros(1, np.int64)
        change = np.concatenate(([True], st[1:] != st[:-1]))  # equal neighbours are one stretch
        return StateTrajectory(switch_times_s=t[change], state_sequence=st[change], end_s=float(self.t_end_s))

    def expected_counts_per_bin(self) -> np.ndarray:
        """Noise-free expected recorded counts of each full truth bin (after the run).

        Returns
        -------
        (n_bins,) float64
            Signal + background - first-order dead-time loss, bins of ``truth_bin_width_s``
            from t = 0 (a last partial bin is dropped).
        """
        if not self._done:
            raise RuntimeError("expected_counts_per_bin() is known once chunks() has been exhausted")
        return _binned_truth(self)[0]

    def _loss_per_s(self):
        """First-order dead-time loss rate (1/s) of each state: same-detector pairs closer than the dead time."""
        c, r = self.config, self.rates
        split = np.array([c.splitter_ratio, 1 - c.splitter_ratio])
        bg = self._bg_rate
        loss = np.zeros(r.n)
        for d in (0, 1):
            td = c.dead_time_ns[d] * 1e-9
            if td <= 0:
                continue
            sd = r.signal_cps * split[d]
            if c.pulsed:
                f, p_ns = c.repetition_rate_hz, 1e9 / c.repetition_rate_hz
                td_ns = td * 1e9
                sig = np.zeros(r.n)
                for s in range(r.n):
                    if r.mu[s] <= 0:
                        continue
                    w, lam = _photon_delay_mixture(r, s)
                    m_max = int(math.ceil((40 * max(r.tau_ns[s], r.tau_bx_ns[s]) + td_ns) / p_ns)) + 2
                    ms = np.arange(1, m_max + 1) * p_ns
                    prob = (_diff_cdf(w, lam, w, lam, -ms + td_ns) - _diff_cdf(w, lam, w, lam, -ms - td_ns)).sum()
                    mu_d = r.mu[s] * split[d]
                    same = r.both[s] * split[d] ** 2 * -math.expm1(-td_ns / r.tau_ns[s])
                    sig[s] = f * (mu_d ** 2 * prob + same)
            else:
                g = r.antibunching_rate_hz
                sig = sd ** 2 * (td + np.expm1(-g * td) / g)
            loss += sig + (2 * sd * bg[d] + bg[d] ** 2) * td
        return loss


def simulate_photons(config: SimulationConfig | None = None, *, labels: bool = True, **params) -> SimulatedPhotons:
    """Simulate a whole (small) measurement in memory.

    Parameters
    ----------
    config : SimulationConfig, optional
    labels : bool
        Keep the per-photon :class:`PhotonLabels`.
    **params
        Fields of :class:`SimulationConfig`.

    Returns
    -------
    SimulatedPhotons

    Examples
    --------
    >>> from tttr.simulate import simulate_photons
    >>> sim = simulate_photons(model="auger", duration_s=0.5, seed=3)
    >>> round(sim.truth["beta"], 2)
    1.82
    """
    stream = SimulatedStream(config, **params)
    chunks, labs = [], []
    for item in stream.chunks(labels=labels):
        if labels:
            chunks.append(item[0])
            labs.append(item[1])
        else:
            chunks.append(item)
    photons = concatenate_chunks(chunks, t3=stream.t3)
    lab = None
    if labels:
        lab = PhotonLabels(*(np.concatenate([getattr(x, f.name) for x in labs]) if labs else np.empty(0)
                             for f in fields(PhotonLabels)))
    traj = stream.trajectory
    return SimulatedPhotons(photons=photons, labels=lab, truth=stream.truth(), config=stream.config, info=stream.info,
                            expected_counts_per_bin=stream.expected_counts_per_bin(),
                            switch_times_s=traj.switch_times_s, state_sequence=traj.state_sequence)
