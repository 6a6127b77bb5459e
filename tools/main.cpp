// The `tock` command line.
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <exception>

#include "tools/control.hpp"
#include "tools/demo.hpp"
#include "tools/help.hpp"
#include "tools/import.hpp"
#include "tools/placement.hpp"
#include "tools/play.hpp"
#include "tools/run_cmds.hpp"
#include "tools/ui.hpp"
#include "tools/workflow_cmds.hpp"

#ifndef TOCK_VERSION
#define TOCK_VERSION "unknown"
#endif

int main(int argc, char** argv) {
    CLI::App app{"tock - an event-driven scheduler for cycling workflows", "tock"};
    app.require_subcommand(0, 1);
    app.set_help_flag("-h,--help", "show help");

    std::string topic;
    auto* help = app.add_subcommand("help", "show the overview or one command's help");
    help->add_option("topic", topic, "a command");

    app.add_subcommand("version", "print tock's version");

    tock::demo::Options demo_opts;
    auto* demo = app.add_subcommand("demo", "run the runtime demo");
    demo->add_option("--ticks", demo_opts.ticks, "how many ticks")->check(CLI::Range(1, 1000000));
    demo->add_option("--period", demo_opts.period_s, "seconds between ticks")
        ->check(CLI::Range(0.0, 86400.0 * 366));
    demo->add_flag("--virtual", demo_opts.virtual_clock, "run on the virtual clock");
    demo->add_option("--command", demo_opts.command, "the job, run with sh -c");

    std::string flow;
    // --set KEY=VALUE and --set-file FILE: values for the file's vars.
    tock::cmd::VarOptions vars;
    auto add_vars = [&vars](CLI::App* c) {
        c->add_option("--set", vars.sets,
                      "KEY=VALUE: a value for one of the file's vars "
                      "(repeatable)");
        c->add_option("--set-file", vars.files, "a file of KEY=VALUE lines (repeatable)");
    };
    auto* validate = app.add_subcommand("validate", "check a workflow file and summarise it");
    validate->add_option("FLOW", flow, "the workflow YAML file")->required();
    add_vars(validate);

    bool tree = false;
    auto* list = app.add_subcommand("list", "list a workflow's tasks, or its family tree");
    list->add_option("FLOW", flow, "the workflow YAML file")->required();
    list->add_flag("--tree", tree, "draw the family tree");
    add_vars(list);

    tock::cmd::GraphOptions graph_opts;
    auto* graph = app.add_subcommand("graph", "the expanded graph over a range of cycle points");
    graph->add_option("FLOW", graph_opts.file, "the workflow YAML file")->required();
    graph->add_option("--from", graph_opts.from, "first cycle point (default: initial)");
    graph->add_option("--to", graph_opts.to, "last cycle point (default: final, or three cycles)");
    graph->add_option("--format", graph_opts.format, "text, dot or svg")
        ->check(CLI::IsMember({"text", "dot", "svg"}));
    graph->add_option("-o,--output", graph_opts.output,
                      "svg: the file to write (default NAME.svg)");
    add_vars(graph);

    tock::cmd::ImportOptions import_opts;
    auto* import_cmd = app.add_subcommand("import", "a Cylc 8 flow.cylc as tock's workflow YAML");
    import_cmd->add_option("FLOW", import_opts.flow, "the flow.cylc file")->required();
    import_cmd->add_option("-o,--output", import_opts.output,
                           "write here (default: standard output)");
    import_cmd->add_option("--set", import_opts.sets,
                           "KEY=VALUE: a Jinja2 variable (a Python literal)");
    import_cmd->add_option("--set-file", import_opts.set_files, "a file of KEY=VALUE lines");
    import_cmd->add_flag("--rendered", import_opts.rendered,
                         "print the file as read (includes inlined, Jinja2 rendered)");

    tock::cmd::PlayOptions play_opts;
    auto* play = app.add_subcommand("play", "run a workflow");
    play->add_option("FLOW", play_opts.flow,
                     "the workflow YAML file (a new run), or the NAME of a run to restart");
    play->add_option("--mode", play_opts.mode, "live, simulation, dummy or skip")
        ->check(CLI::IsMember({"live", "simulation", "dummy", "skip"}));
    play->add_flag("--fast", play_opts.fast, "simulation on the virtual clock");
    play->add_flag("--no-detach", play_opts.no_detach, "stay in the foreground");
    play->add_option("--run-dir", play_opts.run_dir,
                     "the run directory (default ~/tock-run/NAME/runN)");
    play->add_option("--initial-cycle", play_opts.overrides.initial,
                     "start here instead of scheduling.initial");
    play->add_option("--final-cycle", play_opts.overrides.final,
                     "end here instead of scheduling.final");
    play->add_option("--stop-after", play_opts.overrides.stop,
                     "stop once every task up to this cycle point is done");
    play->add_option("--hold-after", play_opts.overrides.hold_after,
                     "hold the tasks of later cycle points");
    play->add_option("--start-cycle-point,--startcp", play_opts.start_cycle_point,
                     "a warm start: begin at this cycle point, as if all before it were done");
    play->add_option("--start-task", play_opts.start_tasks,
                     "CYCLE/TASK: start from these tasks (repeatable)");
    play->add_flag("--pause", play_opts.paused, "start paused: no job until `tock resume`");
    add_vars(play);
    play->add_option("--host-port", play_opts.host_port,
                     "HOST:PORT: also take commands over TCP, with CurveZMQ (PORT 0: any free "
                     "ports)");
    play->add_option("--place", play_opts.place,
                     "COMPONENT=WHERE: run a component inproc, in a thread, in a process or at "
                     "tcp://HOST:PORT (repeatable; * for every component; see tock help "
                     "placement)");
    play->add_flag("--reloaded", play_opts.reloaded)->group("");  // tock reload's restart
    // For the store benchmark only (docs/performance.md): a run that cannot restart.
    play->add_flag("--db-in-memory", play_opts.db_in_memory)->group("");

    std::string history_run, history_task;
    auto* history = app.add_subcommand("history", "a task's event history from its run database");
    history->add_option("--run-dir", history_run, "the run directory (or NAME//CYCLE/TASK)");
    history->add_option("TASK", history_task, "CYCLE/TASK, or NAME//CYCLE/TASK")->required();

    std::string job;
    std::vector<std::string> words;
    std::string component_name, component_connect, component_keys;
    auto* component =
        app.add_subcommand("component", "run one component of a scheduler (placement)");
    component->add_option("NAME", component_name, "the component: task_pool, store, ...")
        ->required();
    component
        ->add_option("--connect", component_connect,
                     "the scheduler's placement endpoint (ipc:// or tcp://)")
        ->required();
    component->add_option("--keys", component_keys,
                          "a directory with the run's server.key and client.key (tcp://)");
    auto* message = app.add_subcommand("message", "send a message from a job to its scheduler");
    message->add_option("--job", job, "CYCLE/TASK/NN (default $TOCK_TASK_JOB)");
    message->add_option("MESSAGE", words, "the message: started, an output's message, ...")
        ->required();

    tock::cmd::ScanOptions scan_opts;
    auto* scan = app.add_subcommand("scan", "list the workflows running (--all: every run)");
    scan->add_flag("--all", scan_opts.all, "every run under ~/tock-run, with its last status");
    scan->add_flag("--json", scan_opts.json, "print a JSON array instead of the table");

    tock::cmd::UiOptions ui_opts;
    auto* ui = app.add_subcommand("ui", "serve the web page: every workflow live, and commands");
    ui->add_option("--host", ui_opts.host, "the address to listen on (default 127.0.0.1)");
    ui->add_option("--port", ui_opts.port, "the port (default 8950; 0: a free one)")
        ->check(CLI::Range(0, 65535));
    ui->add_option("--token", ui_opts.token,
                   "the access token (default: a new random one; also $TOCK_UI_TOKEN)")
        ->envname("TOCK_UI_TOKEN");

    tock::cmd::CatLogOptions cat_log_opts;
    auto* cat_log =
        app.add_subcommand("cat-log", "print or follow a scheduler log or a job's file");
    cat_log->add_option("ID", cat_log_opts.id,
                        "NAME (the scheduler log) or NAME//CYCLE/TASK[/JOB]; with --run-dir, "
                        "CYCLE/TASK[/JOB]");
    cat_log->add_option("-f,--file", cat_log_opts.file,
                        "log, out, err, job or status (default: log, or out for a job)");
    cat_log->add_flag("--tail", cat_log_opts.tail,
                      "follow the file as it grows, until its job or its scheduler ends");
    cat_log->add_option("--run-dir", cat_log_opts.run_dir, "the run directory, instead of NAME");

    tock::cmd::CleanOptions clean_opts;
    auto* clean = app.add_subcommand("clean", "delete a run directory (not a running one)");
    clean->add_option("NAME", clean_opts.id, "the workflow (its latest run), or NAME/runN");
    clean->add_option("--run-dir", clean_opts.run_dir, "the run directory, instead of NAME");
    clean->add_flag("--all", clean_opts.all, "every run of NAME");
    clean->add_flag("-y,--yes", clean_opts.yes, "delete without asking");

    auto control = tock::cmd::add_control_commands(app);

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        // --help is a "parse error" that exits 0; a real one exits 2.
        return app.exit(e) == 0 ? 0 : 2;
    }

    try {
        if (app.got_subcommand(help) || app.get_subcommands().empty()) {
            if (!tock::help::print(topic)) {
                fmt::print(stderr, "tock help: no help on '{}'; try 'tock help'\n", topic);
                return 2;
            }
            return 0;
        }
        if (app.got_subcommand("version")) {
            fmt::print("tock {}\n", TOCK_VERSION);
            return 0;
        }
        if (app.got_subcommand(demo)) return tock::demo::run(demo_opts);
        for (auto* c : {validate, list, graph, play}) {
            if (!app.got_subcommand(c)) continue;
            std::string why;
            auto v = tock::cmd::read_vars(vars, why);
            if (!v) {
                fmt::print(stderr, "tock {}: {}\n", c->get_name(), why);
                return 2;
            }
            play_opts.overrides.vars = *v;
            play_opts.vars_given = !vars.sets.empty() || !vars.files.empty();
            graph_opts.vars = *v;
        }
        if (app.got_subcommand(validate))
            return tock::cmd::validate(flow, play_opts.overrides.vars);
        if (app.got_subcommand(list)) return tock::cmd::list(flow, tree, play_opts.overrides.vars);
        if (app.got_subcommand(graph)) return tock::cmd::graph(graph_opts);
        if (app.got_subcommand(import_cmd)) return tock::cmd::import_flow(import_opts);
        if (app.got_subcommand(play)) return tock::cmd::play(play_opts);
        if (app.got_subcommand(history)) return tock::cmd::history(history_run, history_task);
        if (app.got_subcommand(message)) return tock::cmd::message(job, words);
        if (app.got_subcommand(component))
            return tock::cmd::component(component_name, component_connect, component_keys);
        if (app.got_subcommand(scan)) return tock::cmd::scan(scan_opts);
        if (app.got_subcommand(ui)) return tock::cmd::ui(ui_opts);
        if (app.got_subcommand(cat_log)) return tock::cmd::cat_log(cat_log_opts);
        if (app.got_subcommand(clean)) return tock::cmd::clean(clean_opts);
        if (const int rc = tock::cmd::run_control(*control, app); rc >= 0) return rc;
    } catch (const std::exception& e) {
        fmt::print(stderr, "tock: {}\n", e.what());
        return 1;
    }
    return 0;
}
