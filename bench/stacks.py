#!/usr/bin/env python3
"""bench/stacks.py PID — the thread stacks of a process: each 8 MB mapping
(glibc's default thread stack, RLIMIT_STACK) and how much of it is resident,
i.e. how deep that thread's stack has been. Pages stay resident once touched,
so the maximum is the deepest stack any live thread needed. Prints
"COUNT, resident max K KiB, sum S KiB"."""
import re
import sys

rss, cur = [], None
for line in open(f"/proc/{sys.argv[1]}/smaps"):
    m = re.match(r"^([0-9a-f]+)-([0-9a-f]+) ", line)
    if m:
        cur = (int(m.group(2), 16) - int(m.group(1), 16)) // 1024
    elif line.startswith("Rss:") and cur in (8192, 8196):
        rss.append(int(line.split()[1]))
print(f"{len(rss)}, resident max {max(rss, default=0)} KiB, sum {sum(rss)} KiB")
