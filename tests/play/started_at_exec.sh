# BASH_ENV for play.started_at_exec: bash sources this before a job's script.
# The job's directory is the run directory; $0 is the job script.
case $0 in */log/job/1/a/01/job) ;; *) return 0 ;; esac
i=0
while [ $i -lt 100 ]; do
    if "$TOCK_TEST_BIN" history --run-dir "$PWD" 1/a 2>/dev/null | grep -q ' started '; then
        mkdir -p share && : >share/started-before-header
        break
    fi
    sleep 0.1
    i=$((i + 1))
done
