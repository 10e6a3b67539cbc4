# SPDX-License-Identifier: GPL-2.0-only
# apf-bench: throughput per mode from summary.dat (written by apf-bench).
# Bars are medians over the ok runs, whiskers min..max, the inner box q1..q3.
# apf-bench plot DIR runs:
#   gnuplot -e "datafile='DIR/summary.dat'; outdir='DIR'; plottitle='...'" plot.gp
# Columns: 1 idx, 2 mode, 3 ok runs, 4-8 compute median q1 q3 min max,
#          9-13 fault pages/s median q1 q3 min max.

if (!exists("datafile")) datafile = "summary.dat"
if (!exists("outdir")) outdir = "."
if (!exists("plottitle")) plottitle = "apf-bench"

set style fill solid 0.45 border -1
set boxwidth 0.6
set offsets 0.6, 0.6, graph 0.12, 0
set xtics nomirror scale 0
set ytics nomirror
set grid ytics lc rgb "#dddddd"
set border 3
set bmargin 4
set key off
set yrange [0:*]
set datafile missing "NaN"

label(v) = v >= 100 ? sprintf("%.0f", v) : sprintf("%.3g", v)
tic(m, n) = sprintf("%s\n(%d ok)", m, n)

do for [fmt in "png svg"] {
    if (fmt eq "png") {
        if (strstrt(GPVAL_TERMINALS, "pngcairo") > 0) {
            set terminal pngcairo size 1280,560 enhanced font ",11"
        } else {
            set terminal png size 1280,560
        }
        set output outdir."/throughput.png"
    } else {
        set terminal svg size 1280,560 dynamic enhanced font ",11"
        set output outdir."/throughput.svg"
    }
    set multiplot layout 1,2 title plottitle noenhanced

    set title "CPU-bound work (compute units/s)"
    set ylabel "compute units/s"
    plot datafile using 1:4:7:8:(0.6):xtic(tic(strcol(2), $3)) with boxerrorbars lc rgb "#4477aa", \
         '' using 1:5:5:6:6:(0.25) with candlesticks lc rgb "#223355" lw 1.5, \
         '' using 1:8:(label($4)) with labels offset 0,0.8

    set title "fault threads (pages/s)"
    set ylabel "pages touched/s"
    plot datafile using 1:9:12:13:(0.6):xtic(tic(strcol(2), $3)) with boxerrorbars lc rgb "#ee7733", \
         '' using 1:10:10:11:11:(0.25) with candlesticks lc rgb "#663311" lw 1.5, \
         '' using 1:13:(label($9)) with labels offset 0,0.8

    unset multiplot
    set output
}
