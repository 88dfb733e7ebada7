#!/usr/bin/env python3
"""CPU time per query of each pipeline process, for profiling (issue 8).

    python3 bench/cpu_per_stage.py QUERIES COMMAND...
    e.g. python3 bench/cpu_per_stage.py 20000 .build/release/tierflow-bench pipeline --bin .build/release --messages 20000 --rates ""

Runs COMMAND, samples /proc every 0.2 s for the worker processes it starts (its children) and for RabbitMQ
(beam.smp) and PostgreSQL, and prints each one's CPU seconds (user + system) and milliseconds per query.
RabbitMQ and PostgreSQL are shared: whatever else uses them during the run is counted too.
"""
import os, subprocess, sys, time, collections
hz = os.sysconf('SC_CLK_TCK')
proc = subprocess.Popen(sys.argv[2:])
n = int(sys.argv[1])
seen = {}
first = {}
def sample():
    for pid in os.listdir('/proc'):
        if not pid.isdigit(): continue
        try:
            with open(f'/proc/{pid}/stat') as f: s = f.read()
            with open(f'/proc/{pid}/cmdline','rb') as f: cmd = f.read().split(b'\0')
        except OSError: continue
        comm = s[s.index('(')+1:s.rindex(')')]
        if not (comm.startswith('tierflow') or comm in ('beam.smp','postgres') or comm.startswith('1_') or comm.startswith('2_')): continue
        fields = s[s.rindex(')')+2:].split()
        if comm.startswith('tierflow') and int(pid) != proc.pid and int(fields[1]) != proc.pid: continue
        cpu = (int(fields[11]) + int(fields[12])) / hz
        name = os.path.basename(cmd[0].decode()) if comm.startswith('tierflow') else comm
        if comm == 'postgres' or comm.startswith(('1_','2_')): name = 'postgres'
        if '--tier' in [c.decode() for c in cmd]:
            i = [c.decode() for c in cmd].index('--tier'); name += ':' + cmd[i+1].decode()
        first.setdefault(pid, cpu if not comm.startswith('tierflow') else 0.0)
        # An exiting process's cmdline reads empty: keep the name it was first seen with.
        seen[pid] = (seen[pid][0] if pid in seen else name, max(cpu, seen.get(pid, ('', 0))[1]))
while proc.poll() is None:
    sample(); time.sleep(0.2)
tot = collections.defaultdict(float)
for pid,(name, cpu) in seen.items(): tot[name] += cpu - first[pid]
for k, v in sorted(tot.items()): print(f'{k:28s} {v:8.2f} s  {v/n*1000:7.3f} ms/query')
print(f'{"total":28s} {sum(tot.values()):8.2f} s  {sum(tot.values())/n*1000:7.3f} ms/query')
