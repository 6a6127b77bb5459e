// What tock writes to and reads from Slurm and at (coroutines/runners.hpp):
// the #SBATCH header, and the parsing of sbatch, squeue, at and atq output
// as those commands print it.
#include <doctest/doctest.h>

#include "coroutines/runners.hpp"

using namespace tock::runners;

TEST_SUITE("runners") {
    TEST_CASE("the #SBATCH header: name, then directives in order") {
        const std::string h = slurm_header(
            "a.1.flow", {{"--time", "10"}, {"mem", "4G"}, {"-p", "debug"}, {"--exclusive", ""}},
            std::nullopt);
        CHECK(h ==
              "#SBATCH --job-name=a.1.flow\n"
              "#SBATCH --time=10\n"
              "#SBATCH --mem=4G\n"
              "#SBATCH -p debug\n"
              "#SBATCH --exclusive\n");
    }

    TEST_CASE("an execution time limit becomes --time in minutes, rounded up, unless set") {
        const tock::config::Interval limit{0, 0, 90};
        CHECK(slurm_header("n", {}, limit).find("#SBATCH --time=2\n") != std::string::npos);
        CHECK(slurm_header("n", {}, tock::config::Interval{0, 0, 5}).find("#SBATCH --time=1\n") !=
              std::string::npos);
        const std::string set = slurm_header("n", {{"--time", "30"}}, limit);
        CHECK(set.find("--time=30") != std::string::npos);
        CHECK(set.find("--time=2") == std::string::npos);
    }

    TEST_CASE("sbatch --parsable: the id, with or without a cluster") {
        CHECK(parse_sbatch("1234\n") == "1234");
        CHECK(parse_sbatch("77;tock-test\n") == "77");
        CHECK(parse_sbatch("sbatch: warning: something\n88\n") == "88");
        CHECK(parse_sbatch("sbatch: warning: 2 things 99") == "99");
        CHECK_FALSE(parse_sbatch("sbatch: error: Batch job submission failed: Invalid account\n"));
        CHECK_FALSE(parse_sbatch(""));
    }

    TEST_CASE("squeue: id, state, reason and command of each job") {
        const auto jobs = parse_squeue(
            "12|PENDING|Resources|/r/log/job/1/a/01/job\n"
            "13|RUNNING|None|/r/log/job/1/b/01/job\n"
            "14|NODE_FAIL|NodeDown|/r/x|y/job\n"
            "15_1|RUNNING|None|/array\n"
            "garbage\n"
            "16|COMPLETED|None|\n");
        REQUIRE(jobs.size() == 4);
        CHECK(jobs[0].id == "12");
        CHECK(jobs[0].phase == Phase::queued);
        CHECK(jobs[0].reason == "PENDING (Resources)");
        CHECK(jobs[0].command == "/r/log/job/1/a/01/job");
        CHECK(jobs[1].phase == Phase::running);
        CHECK(jobs[1].reason == "RUNNING");
        CHECK(jobs[2].phase == Phase::failed);
        CHECK(jobs[2].reason == "NODE_FAIL (NodeDown)");
        CHECK(jobs[2].command == "/r/x|y/job");
        CHECK(jobs[3].id == "16");
        CHECK(jobs[3].phase == Phase::ended);
    }

    TEST_CASE("Slurm states: queued, running, ended by the job, ended by Slurm") {
        for (const char* s : {"PENDING", "CONFIGURING", "REQUEUED", "SUSPENDED"})
            CHECK(slurm_phase(s) == Phase::queued);
        for (const char* s : {"RUNNING", "COMPLETING"}) CHECK(slurm_phase(s) == Phase::running);
        for (const char* s : {"COMPLETED", "FAILED"}) CHECK(slurm_phase(s) == Phase::ended);
        for (const char* s :
             {"CANCELLED", "TIMEOUT", "NODE_FAIL", "OUT_OF_MEMORY", "PREEMPTED", "BOOT_FAIL"})
            CHECK(slurm_phase(s) == Phase::failed);
    }

    TEST_CASE("at and atq") {
        CHECK(parse_at("warning: commands will be executed using /bin/sh\n"
                       "job 7 at Sat Dec  5 23:30:00 2026\n") == "7");
        CHECK(parse_at("warning: commands will be executed using /bin/sh job 12 at Sat Dec  5 "
                       "23:39:00 2026") == "12");
        CHECK_FALSE(parse_at("blowjob 5 at noon"));
        CHECK_FALSE(parse_at("Can't open /var/run/atd.pid to signal atd. No atd running?\n"));
        const auto q = parse_atq(
            "7\tSat Dec  5 23:30:00 2026 a root\n"
            "8\tSat Dec  5 23:31:00 2026 = root\n"
            "junk\n");
        REQUIRE(q.size() == 2);
        CHECK(q[0].id == "7");
        CHECK(q[0].phase == Phase::queued);
        CHECK(q[1].id == "8");
        CHECK(q[1].phase == Phase::running);
    }
}
