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
    // Bash reads and runs every line of the header before the task's script,
    // for every job, and that is most of what a short job costs beyond bash
    // itself: so the header is short, and the code of a failure is text that
    // only a failure evaluates. docs/commands.md says what each part does.
    std::string fail =
        R"([[ $BASHPID == "$$" ]] || exit "$1"; trap "" ERR EXIT HUP INT TERM XCPU; )"
        R"(printf "TOCK_JOB_EXIT=%s\n%s failed %s\n" "$2" "$EPOCHSECONDS" "$2" >&$TOCK_STATUS_FD; )"
        R"(tock_send failed "$2"; )";
    // err-script gets the reason (ERR, SIGTERM ...) as $1, as in Cylc, and
    // the exit status as $2. It is text of its own, evaluated apart, so that
    // an error in it (even one of syntax) loses only itself.
    if (!rt.err_script.empty()) fail += R"((set -- "$2" "$1"; eval "$TOCK_ERR") || true; )";
    fail += R"(exit "$1")";
    std::string s;
    s += "#!/bin/bash\n";
    s += j.header;
    s += fmt::format("# tock job {} of workflow {}\n", job_id(j), j.workflow);
    // tock's directory goes first on PATH, so that scripts can call tock
    // message (written out: ${TOCK_BIN%/*} costs bash more). One export
    // for all: each command costs bash some 20k instructions to read.
    std::string path;
    if (const auto slash = j.tock.rfind('/'); slash != std::string::npos) {
        path = fmt::format(" \\\n    PATH={}:\"$PATH\"", shell_quote(j.tock.substr(0, slash)));
    }
    s += fmt::format(
        "export TOCK_WORKFLOW_ID={} TOCK_TASK_NAME={} TOCK_TASK_CYCLE_POINT={} \\\n"
        "    TOCK_TASK_JOB={} TOCK_RUN_DIR={} TOCK_SCHEDULER={}{}\n",
        shell_quote(j.workflow), shell_quote(j.task), shell_quote(j.cycle), shell_quote(job_id(j)),
        shell_quote(j.run_dir), shell_quote(j.endpoint), path);
    s += fmt::format("TOCK_JOB_DIR={} TOCK_BIN={}\n", shell_quote(j.job_dir), shell_quote(j.tock));
    // Task parameters' values (model<member> -> TOCK_PARAM_member=5), as
    // Cylc's CYLC_TASK_PARAM_member, before env-script and environment.
    if (!rt.parameters.empty()) {
        s += "export";
        for (const auto& [k, v] : rt.parameters)
            s += fmt::format(" TOCK_PARAM_{}={}", k, shell_quote(v));
        s += "\n";
    }
    // Messages go by the runner's pipe (TOCK_MESSAGE_FD), else by tock
    // message. The pid comes first in job.status: a restart that finds it
    // looks for that process. With a pipe, the runner has reported
    // `started` already (the exec of this script succeeded): the header
    // only records it. job.status is written in append mode: `tock message`
    // appends to it too (communication: poll). Comments are left out: bash
    // reads each character.
    s +=
        R"(tock_send() { { printf '%s\n' "${*//$'\n'/ }" >&"$TOCK_MESSAGE_FD"; } 2>&- || { TOCK_MESSAGE_FD=; "$TOCK_BIN" message --job "$TOCK_TASK_JOB" "$@" 2>>"$TOCK_JOB_DIR/job.err" || true; }; }
: >"$TOCK_JOB_DIR/job.status"; exec {TOCK_STATUS_FD}>>"$TOCK_JOB_DIR/job.status"
printf 'TOCK_JOB_PID=%s\n%s started\n' $$ $EPOCHSECONDS >&$TOCK_STATUS_FD
trap : PIPE
[[ -n ${TOCK_MESSAGE_FD-} ]] || tock_send started
tock_job_failed() { eval "$TOCK_FAIL"; }
)";
    s += "TOCK_FAIL=" + shell_quote(fail) + "\n";
    if (!rt.err_script.empty()) s += "TOCK_ERR=" + shell_quote(rt.err_script) + "\n";
    s += R"(trap 'tock_job_failed $? ERR' ERR
trap 'tock_job_failed 143 SIGTERM' TERM
trap 'tock_job_failed 130 SIGINT' INT
trap 'tock_job_failed 129 SIGHUP' HUP
trap 'tock_job_failed 152 SIGXCPU' XCPU
set -eEo pipefail
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
    // The failure traps go first: what runs after the word (the script's
    // own EXIT trap) cannot make a job that succeeded report a failure.
    s += R"(
trap - ERR HUP INT TERM XCPU
printf 'TOCK_JOB_EXIT=SUCCEEDED\n%s succeeded\n' $EPOCHSECONDS >&$TOCK_STATUS_FD || :
{ echo succeeded >&"$TOCK_MESSAGE_FD"; } 2>&- || tock_send succeeded
exit 0
)";
    return s;
}

}  // namespace tock::jobs
