#!/usr/bin/env bash
# A one-node SLURM cluster on this machine, for tests and for trying the
# job-array script by hand (Debian's slurm-wlm + munge):
#
#   scripts/slurm-local.sh start DIR   munged + slurmctld + slurmd on the host name;
#                                      config, state, spool, logs and munge key under DIR;
#                                      prints `export SLURM_CONF=DIR/slurm.conf`
#   scripts/slurm-local.sh stop DIR    stops the daemons started in DIR (by their pid files)
#   scripts/slurm-local.sh status DIR  sinfo of the cluster in DIR
#
# Nothing under /etc is touched: munged listens on its own socket (AuthInfo
# socket=...), so it coexists with a system munge. Daemons run as the caller
# (SlurmUser = the caller); starting slurmd needs root. Exit codes: 0 up, 1 failed
# (the reason and the daemon logs on stderr), 2 usage.
set -euo pipefail

usage() { echo "usage: $0 start|stop|status DIR" >&2; exit 2; }
[ $# -eq 2 ] || usage
cmd=$1
dir=$(mkdir -p "$2" && cd "$2" && pwd)
conf="$dir/slurm.conf"

die() {
  echo "slurm-local: $*" >&2
  for log in "$dir/munged.log" "$dir/slurmctld.log" "$dir/slurmd.log"; do
    [ -s "$log" ] && { echo "--- tail $log" >&2; tail -n 15 "$log" >&2; }
  done
  exit 1
}

stop_pidfile() {
  local file=$1
  [ -s "$file" ] || return 0
  local pid
  pid=$(cat "$file")
  if kill -0 "$pid" 2>/dev/null; then
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$file"
}

free_port() {
  python3 - <<'PY' 2>/dev/null || echo $((20000 + RANDOM % 20000))
import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()
PY
}

case $cmd in
  stop)
    export SLURM_CONF="$conf"
    stop_pidfile "$dir/slurmd.pid"
    stop_pidfile "$dir/slurmctld.pid"
    stop_pidfile "$dir/munged.pid"
    exit 0
    ;;
  status)
    export SLURM_CONF="$conf"
    exec sinfo -N -h -o '%N %T %c'
    ;;
  start) ;;
  *) usage ;;
esac

for bin in munged slurmctld slurmd sinfo sbatch; do
  command -v "$bin" >/dev/null || die "$bin not found (apt-get install slurm-wlm munge)"
done
host=$(hostname -s)
getent hosts "$host" >/dev/null || die "host name $host does not resolve (slurmd must reach slurmctld by it)"
user=$(id -un)

mkdir -p "$dir/state" "$dir/spool" "$dir/munge"
chmod 0700 "$dir/munge"

# munge: its own key (created if missing) and socket.
key="$dir/munge/munge.key"
if [ ! -s "$key" ]; then
  if command -v mungekey >/dev/null; then mungekey --create --keyfile="$key" >/dev/null 2>&1 || true; fi
  [ -s "$key" ] || dd if=/dev/urandom of="$key" bs=1024 count=1 status=none
fi
chmod 0400 "$key"
socket="$dir/munge/munge.socket.2"
stop_pidfile "$dir/munged.pid"
munged --force --socket="$socket" --key-file="$key" --pid-file="$dir/munged.pid" \
  --log-file="$dir/munged.log" --seed-file="$dir/munge/munged.seed" || die "munged did not start"

# The node line as slurmd sees this machine (CPUs, memory), so the node is not drained for a mismatch.
node=$(slurmd -C | head -n 1)
[[ $node == NodeName=* ]] || die "slurmd -C printed no node line: $node"
node=$(sed -E "s/^NodeName=[^ ]+/NodeName=$host/; s/ RealMemory=([0-9]+)/ RealMemory=\1/" <<<"$node")
ctld_port=${SLURM_LOCAL_PORT:-$(free_port)}
slurmd_port=$(free_port)
[ "$slurmd_port" != "$ctld_port" ] || slurmd_port=$((ctld_port + 1))

cat >"$conf" <<EOF
# Written by scripts/slurm-local.sh: a one-node cluster for tests.
ClusterName=pflocal
SlurmctldHost=$host
AuthType=auth/munge
AuthInfo=socket=$socket
CredType=cred/munge
SlurmUser=$user
SlurmdUser=root
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/slurmctld.log
SlurmdLogFile=$dir/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/backfill
MpiDefault=none
ReturnToService=2
JobRequeue=1
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SlurmctldTimeout=30
SlurmdTimeout=60
InactiveLimit=0
KillWait=5
MinJobAge=3600
$node State=UNKNOWN
PartitionName=local Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF

export SLURM_CONF="$conf"
stop_pidfile "$dir/slurmd.pid"
stop_pidfile "$dir/slurmctld.pid"
# -i: ignore state left by an earlier cluster in this folder (clean start).
slurmctld -i || die "slurmctld did not start"
slurmd || die "slurmd did not start"

for _ in $(seq 100); do
  state=$(sinfo -h -N -o '%T' 2>/dev/null | head -n 1 || true)
  if [ "$state" = idle ]; then
    echo "export SLURM_CONF=$conf"
    exit 0
  fi
  sleep 0.2
done
die "node $host is not idle after 20 s (state: ${state:-unknown})"
