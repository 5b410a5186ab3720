"""Arrows: each link's route through the channels and gutters, its ports on the boxes, its lanes.

Arrows run only through gutters: the vertical *channels* left of, between and right of the theme
columns, and the full-width horizontal *gutters* between row bands, between a row's cross-theme
band and its cells, and above and below the grid. An arrow leaves its box through a side into the
adjacent channel, or through the top or bottom edge into the adjacent gutter (only the top and
bottom box of a stack have such an edge), and enters its target the same way, so it never crosses
a box. Every link gets its own lane in each channel and gutter it shares with an overlapping link;
the placement widens channels and gutters to fit the lanes counted here.

This module knows the grid only through :class:`Grid` and :class:`Slot`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from .geometry import Rect

__all__ = ["CLEAR", "LANE", "Grid", "Route", "Slot", "Track", "realize", "route_links"]

LANE = 6.0  # distance between parallel arrows
CLEAR = 10.0  # distance of the outermost lane from a box (room for the arrowhead)
LANE_GAP = 12.0  # two arrows may share a lane only this far apart
BEND = 24.0  # routing cost of one bend, in px of length
CROWD = 6.0  # routing cost of each arrow already in a channel
PORT_GAP = 14.0  # between arrows on the top or bottom edge of a box


class Slot(Protocol):
    """Where a box sits on the grid."""

    first: int  # first column
    last: int  # last column
    line: int  # cross-theme line in its row, -1 for a box in a cell
    top_g: int | None  # gutter reached through the top edge
    bottom_g: int | None  # gutter reached through the bottom edge


class Grid(Protocol):
    """The boxes and the free space between them, in px, for one choice of channel widths and gutter heights."""

    col_w: float  # width of a theme column
    ch: list[tuple[float, float]]  # channel free extents (x0, x1)
    gut: list[tuple[float, float]]  # gutter free extents (y0, y1)
    X: list[float]  # channel centres
    Y: list[float]  # gutter centres
    rects: dict[str, Rect]  # objective code -> box
    blocked: list[list[tuple[float, float]]]  # per channel: y ranges closed by a cross-theme box


def _is_blocked(ranges: list[tuple[float, float]], ya: float, yb: float) -> bool:
    if not ranges:
        return False
    lo, hi = (ya, yb) if ya <= yb else (yb, ya)
    return any(b0 < hi and b1 > lo for b0, b1 in ranges)


# A route is (source code, target code, exit side, tracks, entry side). Sides are "L", "R", "T", "B".
# Tracks alternate between ("V", channel) and ("H", gutter); a side exit starts with a channel,
# a top/bottom exit with a gutter (and the same, mirrored, at the entry).
Track = tuple[str, int]
Route = tuple[str, str, str, tuple[Track, ...], str]


def _centre_port(r: Rect, side: str) -> tuple[float, float]:
    if side == "L":
        return r.x, r.y + r.h / 2
    if side == "R":
        return r.x + r.w, r.y + r.h / 2
    if side == "T":
        return r.x + r.w / 2, r.y
    return r.x + r.w / 2, r.y + r.h


@dataclass(frozen=True)
class _Reach:
    gutter: int
    side: str
    tracks: tuple[Track, ...]
    cost: float
    lo: float  # where the route can meet the gutter: x from lo to hi
    hi: float


def _port_range(r: Rect, col_w: float) -> tuple[float, float]:
    """Where on a top or bottom edge an arrow would like to attach: the centre of a box in a cell,
    anywhere above the centres of the columns a cross-theme box covers."""
    half = min(r.w, col_w) / 2
    return r.x + half, r.x + r.w - half


def _reaches(code: str, box: Slot, geo: Grid) -> list[_Reach]:
    """Every way from a box into a full-width gutter: straight through its top or bottom edge,
    or (boxes in a cell only) out of a side, into the channel there and along it."""
    rect = geo.rects[code]
    out: list[_Reach] = []
    lo, hi = _port_range(rect, geo.col_w)
    for side, g in (("T", box.top_g), ("B", box.bottom_g)):
        if g is not None:
            py = rect.y if side == "T" else rect.y + rect.h
            out.append(_Reach(g, side, (), abs(py - geo.Y[g]), lo, hi))
    if box.line >= 0:
        return out  # a cross-theme box is entered through its long edges, never its short sides
    for side, c in (("L", box.first), ("R", box.last + 1)):
        px, py = _centre_port(rect, side)
        xc = geo.X[c]
        stub = abs(px - xc) + BEND
        for g, yg in enumerate(geo.Y):
            if not _is_blocked(geo.blocked[c], py, yg):
                out.append(_Reach(g, side, (("V", c),), stub + abs(py - yg), xc, xc))
    return out


def _gap(a_lo: float, a_hi: float, b_lo: float, b_hi: float) -> float:
    return max(0.0, a_lo - b_hi, b_lo - a_hi)


def route_links(slots: Mapping[str, Slot], geo: Grid, links: list[tuple[str, str]]) -> list[Route]:
    """Pick, for each link, the cheapest route (length plus bends plus crowding) through the gutters."""
    reach: dict[str, list[_Reach]] = {}
    by_gutter: dict[str, dict[int, list[_Reach]]] = {}
    use: dict[Track, int] = {}  # arrows already routed along each channel
    routes: list[Route] = []

    def crowd(tracks: tuple[Track, ...]) -> float:
        return CROWD * sum(use.get(tr, 0) for tr in tracks if tr[0] == "V")

    for s, t in links:
        for code in (s, t):
            if code not in reach:
                reach[code] = _reaches(code, slots[code], geo)
                grouped: dict[int, list[_Reach]] = {}
                for a in reach[code]:
                    grouped.setdefault(a.gutter, []).append(a)
                by_gutter[code] = grouped
        bs, bt = slots[s], slots[t]
        rs, rt = geo.rects[s], geo.rects[t]
        best_cost = math.inf
        best: tuple[str, tuple[Track, ...], str] | None = None
        # straight along one channel, side to side (boxes in cells)
        if bs.line < 0 and bt.line < 0:
            for ss, cs in (("L", bs.first), ("R", bs.last + 1)):
                psx, psy = _centre_port(rs, ss)
                for ts, ct in (("L", bt.first), ("R", bt.last + 1)):
                    if cs != ct:
                        continue
                    ptx, pty = _centre_port(rt, ts)
                    if _is_blocked(geo.blocked[cs], psy, pty):
                        continue
                    xc = geo.X[cs]
                    tracks: tuple[Track, ...] = (("V", cs),)
                    cost = abs(psx - xc) + abs(ptx - xc) + abs(psy - pty) + 2 * BEND + crowd(tracks)
                    if cost < best_cost:
                        best_cost, best = cost, (ss, tracks, ts)
        # out into a gutter, along it, and into the target from the same gutter
        tgroups = by_gutter[t]
        for a in reach[s]:
            for b in tgroups.get(a.gutter, ()):
                if a.tracks and a.tracks == b.tracks:
                    continue  # down and back up the same channel: the straight route covers it
                dx = _gap(a.lo, a.hi, b.lo, b.hi)
                tracks = (*a.tracks, ("H", a.gutter), *b.tracks[::-1])
                cost = a.cost + b.cost + dx + (2 * BEND if dx > 0.5 else 0.0) + crowd(tracks)
                if cost < best_cost:
                    best_cost, best = cost, (a.side, tracks, b.side)
        if best is None:
            # past a cross-theme band: gutter -> open channel -> another gutter
            for a in reach[s]:
                ya = geo.Y[a.gutter]
                for b in reach[t]:
                    if a.gutter == b.gutter:
                        continue
                    yb = geo.Y[b.gutter]
                    for c in range(len(geo.ch)):
                        if _is_blocked(geo.blocked[c], ya, yb):
                            continue
                        xc = geo.X[c]
                        tracks = (*a.tracks, ("H", a.gutter), ("V", c), ("H", b.gutter), *b.tracks[::-1])
                        cost = (
                            a.cost + b.cost + _gap(a.lo, a.hi, xc, xc) + abs(ya - yb) + _gap(xc, xc, b.lo, b.hi)
                            + 4 * BEND + crowd(tracks)
                        )  # fmt: skip
                        if cost < best_cost:
                            best_cost, best = cost, (a.side, tracks, b.side)
        assert best is not None, "the outer channels are always open"
        for tr in best[1]:
            use[tr] = use.get(tr, 0) + 1
        routes.append((s, t, best[0], best[1], best[2]))
    return routes


def _spread(desired: list[float], gap: float, lo: float, hi: float) -> list[float]:
    """Positions at least ``gap`` apart (less if [lo, hi] is too short), in the order of ``desired``
    (sorted), each as near its desired position as possible: clusters are centred on their wishes."""
    n = len(desired)
    if n > 1 and (n - 1) * gap > hi - lo:
        gap = max(0.0, (hi - lo) / (n - 1))
    clusters: list[list[float]] = []  # [first index, count, start]
    for i, d in enumerate(desired):
        clusters.append([i, 1, min(max(d, lo), hi)])
        while len(clusters) > 1 and clusters[-2][2] + clusters[-2][1] * gap > clusters[-1][2] + 1e-9:
            first, count = int(clusters[-2][0]), int(clusters[-2][1] + clusters[-1][1])
            start = sum(desired[first + k] - k * gap for k in range(count)) / count
            start = min(max(start, lo), hi - (count - 1) * gap)
            clusters[-2:] = [[first, count, start]]
    out: list[float] = []
    for _first, size, start in clusters:
        out.extend(start + k * gap for k in range(int(size)))
    return out


def _snap(v: float, residue: int, lo: float, hi: float) -> float:
    """The value nearest ``v`` in [lo, hi] that is ``residue`` modulo 4 (or ``v`` clamped if there is none)."""
    base = math.floor((v - residue) / 4) * 4 + residue
    best = None
    for cand in (base, base + 4, base - 4, base + 8):
        if lo <= cand <= hi and (best is None or abs(cand - v) < abs(best - v)):
            best = cand
    return float(best) if best is not None else min(max(v, lo), hi)


# Ports on the two faces of one channel (or one gutter) use different residues modulo 4, so the
# short stubs from the boxes on either side of it never lie on top of each other.
_RESIDUE = {"R": 0, "L": 2, "B": 0, "T": 2}


def _place_ports(geo: Grid, routes: list[Route]) -> dict[tuple[int, int], tuple[float, float]]:
    """Where each arrow leaves and enters its boxes. On a side, arrows are spread evenly, ordered by
    where they head next, so that arrows leaving one side do not cross each other; on a top or bottom
    edge each sits as near as it can to where it heads (a cross-theme box is wide)."""
    ends: dict[tuple[str, str], list[tuple[float, float, int, int]]] = {}
    for ri, (s, t, es, tracks, ts) in enumerate(routes):
        for which, code, side, seq, other, oside in ((0, s, es, tracks, t, ts), (1, t, ts, tracks[::-1], s, es)):
            if side in ("L", "R"):
                oy = _centre_port(geo.rects[other], oside)[1]
                key = (geo.Y[seq[1][1]] if len(seq) > 1 else oy, oy)
            else:
                own = geo.rects[code]
                lo, hi = _port_range(own, geo.col_w)
                if len(seq) > 1:
                    nxt = geo.X[seq[1][1]]
                else:  # straight across a gutter to the other box: aim at the nearest point of its range
                    olo, ohi = _port_range(geo.rects[other], geo.col_w)
                    nxt = min(max(own.x + own.w / 2, olo), ohi)
                key = (min(max(nxt, lo), hi), nxt)
            ends.setdefault((code, side), []).append((key[0], key[1], ri, which))
    ports: dict[tuple[int, int], tuple[float, float]] = {}
    for (code, side), lst in ends.items():
        lst.sort()
        r = geo.rects[code]
        k = len(lst)
        if side in ("L", "R"):
            start, length = r.y, r.h
            wished = [start + length * (j + 1) / (k + 1) for j in range(k)]
        else:
            start, length = r.x, r.w
            wished = _spread([e[0] for e in lst], PORT_GAP, start + 8, start + length - 8)
        lo, hi = start + 3, start + length - 3
        prev = -math.inf
        for raw, (_a, _b, ri, which) in zip(wished, lst, strict=False):
            p = _snap(max(raw, prev + 4), _RESIDUE[side], max(lo, prev + 4), hi)
            prev = p
            if side == "L":
                ports[(ri, which)] = (r.x, p)
            elif side == "R":
                ports[(ri, which)] = (r.x + r.w, p)
            elif side == "T":
                ports[(ri, which)] = (p, r.y)
            else:
                ports[(ri, which)] = (p, r.y + r.h)
    # A lone arrow between two aligned boxes is drawn dead straight.
    for ri, (s, t, es, tracks, ts) in enumerate(routes):
        if len(tracks) != 1 or len(ends[(s, es)]) != 1 or len(ends[(t, ts)]) != 1:
            continue
        (x0, y0), (x1, y1) = ports[(ri, 0)], ports[(ri, 1)]
        rt = geo.rects[t]
        if tracks[0][0] == "H" and abs(x0 - x1) <= 4 and rt.x < x0 < rt.x + rt.w:
            ports[(ri, 1)] = (x0, y1)
        elif tracks[0][0] == "V" and abs(y0 - y1) <= 4 and rt.y < y0 < rt.y + rt.h:
            ports[(ri, 1)] = (x1, y0)
    return ports


def realize(geo: Grid, routes: list[Route]) -> tuple[list[list[tuple[float, float]]], dict[Track, int]]:
    """Polylines for the routes, with a lane for each arrow in each channel and gutter it uses;
    also how many lanes each track needed."""
    ports = _place_ports(geo, routes)
    segs: dict[Track, list[tuple[float, float, int, int, int]]] = {}
    coord: dict[tuple[int, int], float] = {}
    for ri, (_s, _t, es, tracks, ts) in enumerate(routes):
        p0, p1 = ports[(ri, 0)], ports[(ri, 1)]
        last = len(tracks) - 1
        for j, (kind, idx) in enumerate(tracks):
            axis = 1 if kind == "V" else 0  # the coordinate that varies along the track
            centre = geo.X[idx] if kind == "V" else geo.Y[idx]
            if last == 0 and abs(p0[axis] - p1[axis]) < 0.5:
                coord[(ri, j)] = centre  # zero length: a straight arrow across the track
                continue
            lo, hi = math.inf, -math.inf
            pref = 0
            for end in (0, 1):
                if (end == 0 and j == 0) or (end == 1 and j == last):
                    p = p0 if end == 0 else p1
                    side = es if end == 0 else ts
                    lo, hi = min(lo, p[axis]), max(hi, p[axis])
                    pref += -1 if side in ("R", "B") else 1  # keep the lane next to the box's face
                else:
                    nb = j - 1 if end == 0 else j + 1  # neighbouring track: the extent of the crossing
                    extent = geo.gut[tracks[nb][1]] if kind == "V" else geo.ch[tracks[nb][1]]
                    lo, hi = min(lo, extent[0]), max(hi, extent[1])
                    far = nb - 1 if end == 0 else nb + 1  # where the arrow goes after the turn
                    if 0 <= far <= last:
                        other = geo.X[tracks[far][1]] if kind == "V" else geo.Y[tracks[far][1]]
                    else:
                        other = (p0 if end == 0 else p1)[1 - axis]
                    pref += -1 if other < centre else 1
            segs.setdefault((kind, idx), []).append((lo, hi, ri, j, pref))
    lanes: dict[Track, int] = {}
    for track, lst in segs.items():
        lst.sort()
        lane_end: list[float] = []
        lane_pref: list[int] = []
        assigned: list[tuple[int, int, int]] = []
        for lo, hi, ri, j, pref in lst:
            lane = next((i for i, end in enumerate(lane_end) if end + LANE_GAP <= lo), None)
            if lane is None:
                lane = len(lane_end)
                lane_end.append(-math.inf)
                lane_pref.append(0)
            lane_end[lane] = hi
            lane_pref[lane] += pref
            assigned.append((ri, j, lane))
        k = len(lane_end)
        lanes[track] = k
        order = sorted(range(k), key=lambda lane: (lane_pref[lane], lane))
        position = {lane: p for p, lane in enumerate(order)}
        a, b = geo.ch[track[1]] if track[0] == "V" else geo.gut[track[1]]
        spacing = LANE if k == 1 else min(LANE, (b - a - 2 * CLEAR) / (k - 1))
        for ri, j, lane in assigned:
            coord[(ri, j)] = (a + b) / 2 + (position[lane] - (k - 1) / 2) * spacing
    polylines: list[list[tuple[float, float]]] = []
    for ri, (_s, _t, _es, tracks, _ts) in enumerate(routes):
        p0, p1 = ports[(ri, 0)], ports[(ri, 1)]
        pts = [p0]
        kind0 = tracks[0][0]
        pts.append((coord[(ri, 0)], p0[1]) if kind0 == "V" else (p0[0], coord[(ri, 0)]))
        for j in range(1, len(tracks)):
            a, b = coord[(ri, j - 1)], coord[(ri, j)]
            pts.append((a, b) if tracks[j - 1][0] == "V" else (b, a))
        kindn = tracks[-1][0]
        pts.append((coord[(ri, len(tracks) - 1)], p1[1]) if kindn == "V" else (p1[0], coord[(ri, len(tracks) - 1)]))
        pts.append(p1)
        polylines.append(_simplify(pts))
    return polylines, lanes


def _simplify(pts: list[tuple[float, float]]) -> list[tuple[float, float]]:
    out: list[tuple[float, float]] = []
    for p in pts:
        if out and abs(p[0] - out[-1][0]) < 1e-9 and abs(p[1] - out[-1][1]) < 1e-9:
            continue
        if len(out) >= 2:
            a, b = out[-2], out[-1]
            if (abs(a[0] - b[0]) < 1e-9 and abs(b[0] - p[0]) < 1e-9) or (
                abs(a[1] - b[1]) < 1e-9 and abs(b[1] - p[1]) < 1e-9
            ):
                out[-1] = p
                continue
        out.append(p)
    return out
