#!/usr/bin/env bash
# A single-node Slurm cluster on this machine, for tock's Slurm tests and
# benchmark: munged, slurmctld and slurmd, all configured in one directory.
#
#   tests/slurm/cluster.sh start DIR   install what is missing (as root), write
#                                      the configuration into DIR, start the
#                                      daemons, wait until the node is idle
#   tests/slurm/cluster.sh stop DIR    stop them
#   tests/slurm/cluster.sh env DIR     print the environment a client needs
#                                      (SLURM_CONF), for eval
#
# Slurm 22.05 from Debian, on 127.0.0.1 whatever the host name resolves to;
# proctrack/linuxproc and task/none, so that no
# cgroups are needed; accounting through slurmdbd is not set up, so the
# scheduler's reconciliation uses squeue (docs/platforms.md).
# Exits 77 (ctest's "skipped") when the cluster cannot be started here: not
# root and no Slurm installed.
set -euo pipefail

cmd=${1:-}
dir=${2:-}
if [[ -z $cmd || -z $dir ]]; then
    echo "usage: $0 start|stop|env DIR" >&2
    exit 2
fi
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
host=$(hostname -s)

stop() {
    # Jobs first: a job step outlives slurmd, and would hold the node busy
    # for the next start.
    if [[ -f $dir/slurmctld.pid ]] && kill -0 "$(cat "$dir/slurmctld.pid")" 2>/dev/null; then
        SLURM_CONF=$dir/slurm.conf scancel --full --quiet --user="$(id -un)" 2>/dev/null || true
    fi
    pkill -x slurmstepd 2>/dev/null || true
    # The pids first: a daemon removes its pid file as it exits.
    local pids=()
    for d in slurmd slurmctld munged; do
        pids+=("$(cat "$dir/$d.pid" 2>/dev/null || true)")
    done
    for pid in "${pids[@]}"; do
        [[ -n $pid ]] && kill "$pid" 2>/dev/null || true
    done
    for pid in "${pids[@]}"; do
        [[ -n $pid ]] || continue
        for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$pid" 2>/dev/null || true
    done
    rm -f "$dir"/slurmd.pid "$dir"/slurmctld.pid "$dir"/munged.pid
}

install() {
    if command -v slurmctld >/dev/null && command -v slurmd >/dev/null &&
        command -v sbatch >/dev/null && command -v munged >/dev/null; then
        return 0
    fi
    if [[ $(id -u) != 0 ]]; then
        echo "cluster.sh: Slurm is not installed and this is not root: cannot start a cluster" >&2
        exit 77
    fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        slurm-wlm munge >"$dir/apt.log" 2>&1 || {
        echo "cluster.sh: apt-get install slurm-wlm munge failed: see $dir/apt.log" >&2
        exit 1
    }
}

configure() {
    mkdir -p "$dir/ctld" "$dir/spool" "$dir/log"
    chmod 700 "$dir"
    if [[ ! -f $dir/munge.key ]]; then
        head -c 1024 /dev/urandom >"$dir/munge.key"
        chmod 400 "$dir/munge.key"
    fi
    local cpus mem
    cpus=$(nproc)
    mem=$(($(awk '/MemTotal/ {print $2}' /proc/meminfo) / 1024 / 2))
    cat >"$dir/slurm.conf" <<CONF
ClusterName=tock-test
SlurmctldHost=$host(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$dir/munge.sock
CredType=cred/munge
SlurmctldPort=${TOCK_SLURM_PORT:-16817}
SlurmdPort=$((${TOCK_SLURM_PORT:-16817} + 1))
StateSaveLocation=$dir/ctld
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
MinJobAge=600
SchedulerParameters=sched_interval=1
MessageTimeout=30
SlurmctldTimeout=30
SlurmdTimeout=60
InactiveLimit=0
KillWait=5
MpiDefault=none
NodeName=$host NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP OverSubscribe=FORCE:4
CONF
}

start() {
    install
    stop
    configure
    export SLURM_CONF=$dir/slurm.conf
    munged --force --key-file="$dir/munge.key" --socket="$dir/munge.sock" \
        --pid-file="$dir/munged.pid" --log-file="$dir/log/munged.log" \
        --seed-file="$dir/munged.seed"
    # -c: no state from an earlier start (jobs, node states).
    slurmctld -c -i -f "$dir/slurm.conf"
    slurmd -f "$dir/slurm.conf"
    for _ in $(seq 300); do
        if sinfo -h -n "$host" -o '%t' 2>/dev/null | grep -qx 'idle'; then
            echo "cluster.sh: Slurm is up in $dir (node $host idle)"
            return 0
        fi
        sleep 0.2
    done
    echo "cluster.sh: the node did not become idle in 60 s; logs in $dir/log" >&2
    sinfo -N -l >&2 || true
    tail -n 20 "$dir/log/slurmctld.log" "$dir/log/slurmd.log" >&2 || true
    stop
    exit 1
}

case $cmd in
start) start ;;
stop) stop ;;
env) echo "export SLURM_CONF=$dir/slurm.conf" ;;
*)
    echo "usage: $0 start|stop|env DIR" >&2
    exit 2
    ;;
esac
