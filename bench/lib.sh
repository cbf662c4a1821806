# bench/lib.sh — helpers shared by bench/loadgen.sh and bench/memory.sh
# (sourced after tests/integration/lib.sh, whose $PY they use).
#   calc FMT EXPR   awk printf of an expression      median   of stdin, one number a line
#   jiffies PID     utime+stime of a process (all threads), in clock ticks
#   jget EXPR       a python expression on the JSON on stdin (j)
HZ=$(getconf CLK_TCK)
calc() { awk "BEGIN { printf \"$1\", $2 }"; }
# median of nothing prints nothing (a failed run must read "n/a", never 0)
median() { sort -g | awk 'NF { a[++n] = $1 } END { if (n) print (n % 2) ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2 }'; }
jiffies() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
jget() { $PY -c "import json,sys; j=json.load(sys.stdin); print($1)"; }
