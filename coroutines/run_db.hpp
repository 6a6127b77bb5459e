// The run database (RUN_DIR/db): SQLite in WAL mode, the one record of a run
// that a restart reads. docs/database.md documents the schema.
//
// The store component writes it from the task pool's events; `tock play`
// reads a snapshot from it to restart a run; `tock history` reads a task's
// events. Every failure (a full disk, a lock held by another process, a
// corrupt file) is a DbError whose message names the database and the cause.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "coroutines/event.hpp"
#include "scheduler/rpc.hpp"  // Json

namespace tock::store {

struct DbError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// A task as the database last recorded it.
struct TaskRow {
    std::int64_t point = 0;
    std::string cycle, name, state;
    int submit_num = 0, retries_used = 0, submit_retries_used = 0;
    std::optional<std::int64_t> retry_at;  // unix microseconds, while a retry waits
    bool held = false;
    bool in_pool = true;  // false: complete, gone from the pool
    std::vector<std::string> outputs;
};

// A job that may still be alive: its task was preparing, submitted or running.
struct JobRow {
    std::int64_t point = 0;
    std::string cycle, name;
    int submit_num = 0;
    std::string state;
    std::string runner;                      // background, slurm, at ...
    std::string job_id;                      // the runner's id: a pid, a Slurm job id
    std::optional<int> pid;                  // a background job's
    std::optional<std::int64_t> started_at;  // unix microseconds, once it ran
};

struct Snapshot {
    std::vector<TaskRow> tasks;
    std::vector<JobRow> active_jobs;
    struct XTriggerRow {
        std::string label;
        std::int64_t point = 0;
        std::string results;  // JSON object text, "" for none
    };
    std::vector<XTriggerRow> xtriggers;   // the satisfied ones
    std::optional<std::string> settings;  // what operators set (JSON), if any
};

struct HistoryRow {
    std::string time, event, state, detail;
    int submit_num = 0;
};

class RunDb {
  public:
    // Opens (creating) the database and its schema. ":memory:" for none on disk.
    explicit RunDb(const std::string& path);
    ~RunDb();
    RunDb(const RunDb&) = delete;
    RunDb& operator=(const RunDb&) = delete;

    // One transaction per batch of events (BEGIN IMMEDIATE: a writer that
    // holds the database is found here, not half-way through).
    void begin();
    void commit();
    void rollback() noexcept;
    // Record one task_pool event (topic task.EVENT or workflow), `now` in unix
    // microseconds.
    void apply(const comp::BusEvent& e, std::int64_t now);

    void set_param(const std::string& key, const std::string& value);
    // An operator's command and its result (the commands table).
    void record_command(const Json& done, std::int64_t now);
    struct CommandRow {
        std::string time, who, op, args, result;
        bool ok = false;
    };
    std::vector<CommandRow> commands();
    std::optional<std::string> param(const std::string& key);

    Snapshot snapshot();
    std::vector<HistoryRow> history(std::int64_t point, const std::string& name);

  private:
    void close() noexcept;
    void exec(const char* sql);
    [[noreturn]] void fail(const std::string& what);
    sqlite3_stmt* prepare(const char* sql);
    // Run a read: `bind` (may be empty) binds its parameters, `row` takes each row.
    void query(const char* sql, const std::function<void(sqlite3_stmt*)>& bind,
               const std::function<void(sqlite3_stmt*)>& row);

    // Write the batch's task and job rows (commit() does, before COMMIT).
    void flush();
    // `now` as ISO 8601, formatted once for all the events of a batch.
    const std::string& stamp(std::int64_t now);

    std::string path_;
    sqlite3* db_ = nullptr;
    std::int64_t stamp_at_ = -1;
    std::string stamp_;
    // A batch's rows, written once each at its commit: a task's last state,
    // and a job's columns as its events filled them in.
    struct PendingTask {
        std::string cycle, state, outputs, time;
        int num = 0, retries = 0, submit_retries = 0;
        std::optional<std::int64_t> retry_at;
        bool held = false, in_pool = true;
        bool fresh = false;  // made by this batch: no row yet
    };
    struct PendingJob {
        std::string cycle, state;
        bool fresh = false;
        std::optional<std::string> runner, job_id, submitted_at, started_at, exited_at;
        std::optional<std::int64_t> exit_code, signal;
    };
    std::map<std::pair<std::int64_t, std::string>, PendingTask> tasks_;
    std::map<std::pair<std::pair<std::int64_t, std::string>, int>, PendingJob> jobs_;
    sqlite3_stmt* upsert_task_ = nullptr;
    sqlite3_stmt* insert_event_ = nullptr;
    sqlite3_stmt* upsert_job_ = nullptr;
    sqlite3_stmt* update_task_ = nullptr;  // the rewrite of a row that exists (flush())
    sqlite3_stmt* update_job_ = nullptr;
    sqlite3_stmt* insert_xtrigger_ = nullptr;
    sqlite3_stmt* insert_command_ = nullptr;
    sqlite3_stmt* set_param_ = nullptr;
    sqlite3_stmt* begin_ = nullptr;  // BEGIN IMMEDIATE and COMMIT, prepared once
    sqlite3_stmt* commit_ = nullptr;
};

}  // namespace tock::store
