# SPDX-License-Identifier: GPL-2.0-only
# apf-bench's plot: throughput.png and throughput.svg in outdir, from
# points.dat (every ok run), summary.dat (per mode: median and its exact
# 95% interval) and ratios.dat (pv against each mode, with the bootstrap
# interval and the Mann-Whitney p), which apf-bench writes beside results.json.
#
# Three panels: compute units/s (every run a point, the median a bar, its
# 95% interval a whisker); fault pages/s on a log axis (baseline faults on
# memory, ~10^5-10^6 pages/s, the limited modes on swap, ~10^1-10^3); the
# ratios pv/off, pv/halt, pv/baseline with their 95% intervals and p.
#
# apf-bench sets: outdir, plottitle, unitdef (what a compute unit is),
# metricname (the figure the ratios are of), nratios, nfaultpts (runs with
# a fault rate above 0: the log panel needs one).  By hand:
#   gnuplot -e "outdir='DIR'; plottitle='x'; unitdef='1 compute unit = ...'; \
#              metricname='compute units/s'; nratios=3; nfaultpts=1" DIR/plot.gp

if (!exists("outdir")) outdir = "."
if (!exists("plottitle")) plottitle = "apf-bench"
if (!exists("unitdef")) unitdef = "1 compute unit = 200000 rounds of the workload's 64-bit hash mix"
if (!exists("metricname")) metricname = "compute units/s"
if (!exists("nratios")) nratios = 0
if (!exists("nfaultpts")) nfaultpts = 1
points = outdir . "/points.dat"
summary = outdir . "/summary.dat"
ratios = outdir . "/ratios.dat"

# A repetition's point sits left or right of its mode, so runs do not hide
# each other; busy-flagged runs are open circles.
jit(idx, rep) = idx + 0.24 * ((int(rep) % 7) - 3) / 3.0
busy_pt(b) = b > 0 ? 6 : 7
# No interval (fewer than 6 runs): no whisker, rather than one at 0.
ok(v) = (v == v && v > 0) ? 1 : 0

do for [fmt in "png svg"] {
    if (fmt eq "png") {
        set terminal pngcairo size 1500,560 font "sans,9" noenhanced
        set output outdir . "/throughput.png"
    } else {
        set terminal svg size 1500,560 font "sans,9" noenhanced dynamic
        set output outdir . "/throughput.svg"
    }
    set multiplot layout 1,3 title plottitle font "sans,8"
    set bmargin 7
    set grid ytics
    set key off
    set xrange [-0.6:*]
    set offsets 0, 0.6, 0, 0

    set title "compute units/s: every run (dot), median (bar), its 95% interval"
    set ylabel "compute units per second"
    set yrange [0:*]
    unset logscale y
    set label 1 unitdef at screen 0.01, screen 0.03 left font "sans,8"
    set label 2 "filled: run on a quiet machine; open: run flagged busy (results.json runs[].busy)" \
        at screen 0.01, screen 0.065 left font "sans,8"
    plot points using (jit($1, $2)):3:(busy_pt($5)) with points pt variable ps 0.8 lc rgb "#1f5fa8", \
         summary using ($1 - 0.3):4:(0.6):(0) with vectors nohead lw 3 lc rgb "#202020", \
         summary using ($1 + 0.38):(ok($5) ? $4 : 1/0):5:6 with yerrorbars pt 0 lw 2 lc rgb "#c03020", \
         summary using 1:(0):xtic(2) with points pt 7 ps 0 lc rgb "#FFFFFFFF"
    unset label 1
    unset label 2

    if (nfaultpts > 0) {
        set title "fault pages/s (log): every run, median, its 95% interval"
        set ylabel "fault pages per second (log scale)"
        set yrange [*:*]
        set logscale y
        plot points using (jit($1, $2)):4:(busy_pt($5)) with points pt variable ps 0.8 lc rgb "#2a8a3a", \
             summary using ($1 - 0.3):9:(0.6):(0) with vectors nohead lw 3 lc rgb "#202020", \
             summary using ($1 + 0.38):(ok($10) ? $9 : 1/0):10:11 with yerrorbars pt 0 lw 2 lc rgb "#c03020", \
             summary using 1:9:xtic(2) with points pt 7 ps 0 lc rgb "#FFFFFFFF"
        unset logscale y
    } else {
        set title "fault pages/s: no run touched a page (no fault threads)"
        unset ylabel
        set yrange [0:1]
        plot 0.5 notitle lc rgb "#FFFFFFFF"
    }

    if (nratios > 0) {
        set title "pv / mode, " . metricname . ": 95% bootstrap interval, p (Mann-Whitney)"
        set ylabel "ratio (1 = no difference)"
        set yrange [0:*]
        set xrange [-0.6:nratios - 0.4]
        set offsets 0, 0, graph 0.12, 0      # room for the labels
        set arrow 1 from graph 0, first 1 to graph 1, first 1 nohead dt 2 lc rgb "#808080"
        plot ratios using 1:3:(ok($4) ? $4 : $3):(ok($5) ? $5 : $3):xtic(2) with yerrorbars pt 7 ps 1.2 lw 2 lc rgb "#7a3aa8", \
             ratios using 1:(ok($5) ? $5 : $3):(sprintf("%.2f  p=%.2g", $3, $6)) with labels offset 0, 1 font "sans,8"
        unset arrow 1
    } else {
        set title "no ratios: mode pv and another mode are needed"
        unset ylabel
        set yrange [0:1]
        set xrange [0:1]
        plot 0.5 notitle lc rgb "#FFFFFFFF"
    }
    unset multiplot
    unset output
}
