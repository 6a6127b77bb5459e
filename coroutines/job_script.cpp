#include "coroutines/job_script.hpp"

#include <fmt/format.h>

namespace tock::jobs {

std::string shell_quote(const std::string& s) {
    std::string out = "'";
    for (char c : s) {
        if (c == '\'') {
            out += "'\\''";
        } else {
            out += c;
        }
    }
    return out + "'";
}

std::string job_id(const JobInfo& j) {
    return fmt::format("{}/{}/{:02}", j.cycle, j.task, j.submit_num);
}

std::string job_script(const JobInfo& j, const config::Runtime& rt) {
    std::string s;
    s += "#!/bin/bash\n";
    s += fmt::format("# tock job {} of workflow {}\n", job_id(j), j.workflow);
    s += "set -o pipefail\n";
    // One export and one assignment: every command of the header costs the
    // job a little, and the header runs once for every job.
    s += fmt::format(
        "export TOCK_WORKFLOW_ID={} TOCK_TASK_NAME={} TOCK_TASK_CYCLE_POINT={} \\\n"
        "    TOCK_TASK_JOB={} TOCK_RUN_DIR={} TOCK_SCHEDULER={}\n",
        shell_quote(j.workflow), shell_quote(j.task), shell_quote(j.cycle), shell_quote(job_id(j)),
        shell_quote(j.run_dir), shell_quote(j.endpoint));
    s += fmt::format("TOCK_JOB_DIR={} TOCK_BIN={}\n", shell_quote(j.job_dir), shell_quote(j.tock));
    s += "export PATH=\"${TOCK_BIN%/*}:$PATH\"  # so that scripts can call tock message\n";
    s += R"(
# Report to the scheduler; every message also lands in job.status, the
# record that outlives a scheduler that could not be reached.
tock_message() {
    printf '%(%Y-%m-%dT%H:%M:%S%z)T %s\n' -1 "$*" >&"$TOCK_STATUS_FD"
    tock_send "$@"
}
# To the scheduler alone. A job of the background runner has a message pipe
# (TOCK_MESSAGE_FD); other jobs use `tock message` over ZeroMQ. A scheduler
# that died leaves the pipe broken: the write fails rather than SIGPIPE
# killing the job (stderr is closed for it, which silences bash's complaint),
# and messages go by tock message.
tock_send() {
    if [[ -n ${TOCK_MESSAGE_FD:-} ]]; then
        trap '' PIPE
        if { printf '%s\n' "${*//$'\n'/ }" >&"$TOCK_MESSAGE_FD"; } 2>&-; then
            trap - PIPE
            return 0
        fi
        trap - PIPE
        TOCK_MESSAGE_FD=
    fi
    "$TOCK_BIN" message --job "$TOCK_TASK_JOB" "$@" 2>>"$TOCK_JOB_DIR/job.err" || true
}
tock_job_failed() {
    local code=$1 why=$2
    [[ $BASHPID == "$$" ]] || exit "$code"  # in a subshell: let the shell itself fail
    trap '' ERR EXIT HUP INT TERM XCPU
    echo "TOCK_JOB_EXIT=$why" >&"$TOCK_STATUS_FD"
    tock_message failed "$why"
)";
    if (!rt.err_script.empty()) s += "    ( " + rt.err_script + "\n    ) || true\n";
    s += R"(    exit "$code"
}
# job.status is opened once; every line of it goes through this descriptor.
# The pid comes first, in the same write as `started`: a restart that finds
# job.status looks for that process.
exec {TOCK_STATUS_FD}>"$TOCK_JOB_DIR/job.status"
printf 'TOCK_JOB_PID=%s\n%(%Y-%m-%dT%H:%M:%S%z)T started\n' "$$" -1 >&"$TOCK_STATUS_FD"
trap 'tock_job_failed $? ERR' ERR
trap 'tock_job_failed 143 SIGTERM' TERM
trap 'tock_job_failed 130 SIGINT' INT
trap 'tock_job_failed 129 SIGHUP' HUP
trap 'tock_job_failed 152 SIGXCPU' XCPU
set -eE
# The message pipe moves to a high descriptor, so that a script's own fd 3
# (exec 3>file) cannot take the job's messages.
if [[ -n ${TOCK_MESSAGE_FD:-} ]]; then
    exec {TOCK_MESSAGE_FD}>&"$TOCK_MESSAGE_FD" 3>&-
    export TOCK_MESSAGE_FD
fi
tock_send started
)";
    auto section = [&](const char* name, const std::string& body) {
        if (body.empty()) return;
        s += fmt::format("\n# {}\n{}\n", name, body);
    };
    section("env-script", rt.env_script);
    if (!rt.environment.empty()) {
        s += "\n# environment\n";
        for (const auto& [k, v] : rt.environment) {
            // Values may refer to earlier variables, as in Cylc: expand them.
            std::string escaped;
            for (char c : v) {
                if (c == '"' || c == '\\' || c == '`') escaped += '\\';
                escaped += c;
            }
            s += fmt::format("export {}=\"{}\"\n", k, escaped);
        }
    }
    section("pre-script", rt.pre_script);
    section("script", rt.script);
    section("post-script", rt.post_script);
    s += R"(
trap '' ERR
printf 'TOCK_JOB_EXIT=SUCCEEDED\n%(%Y-%m-%dT%H:%M:%S%z)T succeeded\n' -1 >&"$TOCK_STATUS_FD"
tock_send succeeded
exit 0
)";
    return s;
}

}  // namespace tock::jobs
