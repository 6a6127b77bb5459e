// comp::decode against nlohmann's own parser: the same values for every
// body, the same refusal of malformed ones, including a few thousand
// mutations of real bus bodies. comp::JsonText against nlohmann's writer:
// what it writes parses back to the values given, whatever the strings hold.
#include <doctest/doctest.h>

#include <random>
#include <string>
#include <vector>

#include "coroutines/wire.hpp"
#include "tests/helpers.hpp"

using tock::Json;
using tock::comp::decode;
using tock::comp::each_event;
using tock::comp::JsonText;
using namespace std::chrono_literals;

namespace {

// What Json::parse makes of `s`, or discarded for a body it refuses.
Json reference(const std::string& s) {
    return Json::parse(s, nullptr, /*allow_exceptions=*/false);
}

void same_as_parse(const std::string& s) {
    const Json want = reference(s);
    if (want.is_discarded()) {
        CHECK_THROWS_AS(decode(s), std::runtime_error);
        return;
    }
    Json got;
    REQUIRE_NOTHROW(got = decode(s));
    CHECK(got == want);
    CHECK(got.dump() == want.dump());
}

}  // namespace

TEST_SUITE("wire") {
    TEST_CASE("bus bodies decode to what Json::parse gives") {
        for (const char* s : {
                 R"({"cycle":"1","event":"succeeded","num":1,"point":1,"row":{"in_pool":false,)"
                 R"("outputs":["finished","started","submitted","succeeded"],"retries":0},)"
                 R"("state":"succeeded","task":"m0"})",
                 R"([{"a":1},{"a":-2},{"a":3.5},{"a":null},{"a":true},{"a":"x\"y\\z\u00e9"}])",
                 R"({"b":1,"a":2})",  // keys out of order
                 R"({"a":1,"a":2})",  // a repeated key keeps its last value
                 R"({"big":18446744073709551615,"neg":-9223372036854775808})",
                 R"("just a string")",
                 "[]",
                 "{}",
                 "0",
                 "-0",
                 "1e3",
             }) {
            CAPTURE(s);
            same_as_parse(s);
        }
        CHECK(decode(R"({"a":1,"a":2})").at("a") == 2);
        CHECK(decode(R"({"p":5})").at("p").is_number_unsigned());
        CHECK(decode(R"({"p":-5})").at("p").is_number_integer());
    }

    TEST_CASE("malformed bodies are refused, not misread") {
        for (const char* s : {"", "{", "[1,]", R"({"a":})", R"({"a" 1})", "nul", "[1] 2",
                              "\"\xff\"", R"({"a":"\ud800"})"}) {
            CAPTURE(s);
            CHECK_THROWS_AS(decode(s), std::runtime_error);
        }
    }

    TEST_CASE("mutated bodies: decode agrees with Json::parse on each") {
        const std::vector<std::string> seeds = {
            R"({"cycle":"20260101T0000Z","event":"triggered","num":1,"point":63902908800,)"
            R"("row":{"in_pool":true,"outputs":[],"retries":0,"submit_retries":0},)"
            R"("state":"preparing","task":"model","triggered_by":["20260101T0000Z/prep:succeeded"]})",
            R"([{"cycle":"3","num":2,"point":3,"task":"a","message":"restart file written"}])",
        };
        std::mt19937 rng(20261201);
        const std::string alphabet = "{}[]\",:0123456789-.eE+ \\ntrufalsxyz\x01\xc3\xa9";
        for (int i = 0; i < 4000; ++i) {
            std::string s = seeds[i % seeds.size()];
            const int edits = 1 + static_cast<int>(rng() % 4);
            for (int e = 0; e < edits && !s.empty(); ++e) {
                const std::size_t at = rng() % s.size();
                switch (rng() % 3) {
                    case 0:
                        s[at] = alphabet[rng() % alphabet.size()];
                        break;
                    case 1:
                        s.erase(at, 1 + rng() % 3);
                        break;
                    default:
                        s.insert(at, 1, alphabet[rng() % alphabet.size()]);
                }
            }
            CAPTURE(s);
            same_as_parse(s);
        }
    }

    TEST_CASE("JsonText writes what parses back to the values given") {
        const std::vector<std::string> names = {
            "m0", "a b", "quote\"d", "back\\slash", "tab\there", "new\nline", "caf\xc3\xa9"};
        const std::string text = JsonText()
                                     .str("task", "m0")
                                     .num("point", -63902908800)
                                     .num("num", 7)
                                     .boolean("held", true)
                                     .strs("outputs", names)
                                     .num("at", 1764612345678901LL)
                                     .raw("row", JsonText().boolean("in_pool", false).take())
                                     .take();
        const Json j = Json::parse(text);
        CHECK(j.at("task") == "m0");
        CHECK(j.at("point") == -63902908800);
        CHECK(j.at("num") == 7);
        CHECK(j.at("held") == true);
        CHECK(j.at("outputs").get<std::vector<std::string>>() == names);
        CHECK(j.at("at") == 1764612345678901LL);
        CHECK(j.at("row") == Json{{"in_pool", false}});
        CHECK(decode(text) == j);
        CHECK(JsonText().take() == "{}");
    }

    TEST_CASE("JsonText: any bytes in a string, and the body still parses") {
        std::mt19937 rng(7);
        for (int i = 0; i < 2000; ++i) {
            std::string v(rng() % 12, '\0');
            for (auto& c : v) c = static_cast<char>(rng() % 256);
            const std::string text = JsonText().str("message", v).take();
            CAPTURE(text);
            Json j;
            REQUIRE_NOTHROW(j = Json::parse(text));
            // Valid UTF-8 comes back as it was; invalid bytes are replaced,
            // as nlohmann's writer replaces them.
            const Json want =
                Json::parse(Json(v).dump(-1, ' ', false, Json::error_handler_t::replace));
            CHECK(j.at("message") == want);
            CHECK(decode(text) == j);
        }
    }

    TEST_CASE("each_event reads a task event's fields, one by one in a batch") {
        const std::string one =
            R"({"cycle":"3","event":"succeeded","num":2,"point":3,"task":"m1","exit":0,)"
            R"("signal":9,"at":1764612345678901,"runner":"background","pid":42,)"
            R"("message":"a \"quoted\" word","triggered_by":["3/a:succeeded","@clock"],)"
            R"("row":{"in_pool":false,"held":true,"retries":1,"submit_retries":0,)"
            R"("retry_at":17,"outputs":["submitted","started"]},"state":"succeeded"})";
        int seen = 0;
        each_event("task.succeeded", one, [&](const tock::comp::BusEvent& e) {
            ++seen;
            CHECK(e.topic == "task.succeeded");
            CHECK(e.event == "succeeded");
            CHECK(e.cycle == "3");
            CHECK(e.point == 3);
            CHECK(e.task == "m1");
            CHECK(e.num == 2);
            CHECK(e.state == "succeeded");
            CHECK(e.exit == 0);
            CHECK(e.signal == 9);
            CHECK(e.at == 1764612345678901);
            CHECK(e.runner == "background");
            CHECK(e.pid == 42);
            CHECK(e.message == "a \"quoted\" word");
            REQUIRE(e.triggered_by);
            CHECK(e.triggered_by->size() == 2);
            CHECK(e.has_row);
            CHECK_FALSE(e.in_pool);
            CHECK(e.held);
            CHECK(e.retries == 1);
            CHECK(e.retry_at == 17);
            CHECK(e.outputs.size() == 2);
            CHECK_FALSE(e.output);
            CHECK_FALSE(e.error);
        });
        CHECK(seen == 1);
        seen = 0;
        std::vector<int> nums;
        each_event("job.said", R"([{"task":"a","num":1},{"task":"b","num":2}])",
                   [&](const tock::comp::BusEvent& e) { nums.push_back(e.num); });
        CHECK(nums == std::vector<int>{1, 2});
        CHECK_THROWS(each_event("task.x", R"({"num":"one"})", [](const tock::comp::BusEvent&) {}));
        CHECK_THROWS(each_event("task.x", "{", [](const tock::comp::BusEvent&) {}));
    }

    TEST_CASE("each_event on mutated bodies: an event or an error, never a crash") {
        const std::string seed =
            R"([{"cycle":"1","event":"triggered","num":1,"point":1,"task":"m0",)"
            R"("triggered_by":["1/prep:succeeded"],"row":{"in_pool":true,"outputs":[],)"
            R"("retries":0,"submit_retries":0},"state":"preparing"}])";
        std::mt19937 rng(11);
        const std::string alphabet = "{}[]\",:0123456789-.eE+ \\ntrufalsxyz";
        int read = 0, refused = 0;
        for (int i = 0; i < 4000; ++i) {
            std::string s = seed;
            for (int e = 0; e < 1 + static_cast<int>(rng() % 3) && !s.empty(); ++e) {
                const std::size_t at = rng() % s.size();
                if (rng() % 2) {
                    s[at] = alphabet[rng() % alphabet.size()];
                } else {
                    s.erase(at, 1);
                }
            }
            try {
                each_event("task.triggered", s, [&](const tock::comp::BusEvent& e) {
                    read += static_cast<int>(e.task.size() < 1000);
                });
            } catch (const std::exception&) {
                ++refused;
            }
        }
        CHECK(read > 0);
        CHECK(refused > 0);
    }

    TEST_CASE("each_event's views survive a body read inside its callback") {
        std::vector<std::string> tasks;
        each_event("task.started", R"([{"task":"first","num":1},{"task":"second","num":2}])",
                   [&](const tock::comp::BusEvent& e) {
                       const Json other = decode(R"({"task":"a much longer name, elsewhere"})");
                       each_event(
                           "task.x", R"({"task":"inner"})",
                           [](const tock::comp::BusEvent& in) { CHECK(in.task == "inner"); });
                       CHECK(other.at("task") == "a much longer name, elsewhere");
                       tasks.emplace_back(e.task);
                   });
        CHECK(tasks == std::vector<std::string>{"first", "second"});
    }

    TEST_CASE("an outbox batches a run of one topic, or of one group's topics; readers unpack it") {
        using namespace tock;
        Loop loop(ClockMode::virtual_time);
        Publisher pub(loop, "outbox", "inproc://outbox-groups");
        Subscriber raw(loop, "raw"), unpacked(loop, "unpacked");
        // What was posted, in order: jobs a and b each submitted, then
        // started; a submit; two events on one topic; a topic of no group;
        // a job event alone.
        const std::vector<std::pair<std::string, std::string>> posted = {
            {"job.submitted", "a"}, {"job.said", "a"}, {"job.submitted", "b"},
            {"job.said", "b"},      {"submit", "x"},   {"task.started", "c"},
            {"task.started", "d"},  {"workflow", "w"}, {"job.exited", "e"}};
        std::vector<std::pair<std::string, bool>> messages;  // bus topic, body a batch
        std::vector<std::pair<std::string, std::string>> by_event, by_inbox;
        auto read_raw = [](Subscriber& s, std::vector<std::pair<std::string, bool>>& messages,
                           std::vector<std::pair<std::string, std::string>>& out) -> Task<void> {
            while (out.size() < 9) {
                const BusMessage m = co_await s.recv();
                messages.emplace_back(m.topic, m.body.front() == '[');
                comp::each_event(m.topic, m.body, [&](const comp::BusEvent& e) {
                    out.emplace_back(std::string(e.topic), std::string(e.task));
                });
            }
        };
        auto read_inbox = [](Subscriber& s,
                             std::vector<std::pair<std::string, std::string>>& out) -> Task<void> {
            comp::Inbox in(s);
            while (out.size() < 9) {
                auto [topic, body] = co_await in.next();
                out.emplace_back(topic, body.at("task").get<std::string>());
            }
        };
        for (Subscriber* s : {&raw, &unpacked}) {
            s->subscribe("");
            s->connect("inproc://outbox-groups");
        }
        test::run_guarded(
            loop,
            [&]() -> Task<void> {
                co_await raw.ready();
                co_await unpacked.ready();
                co_await pub.wait_for_subscribers(2);
                comp::Outbox out(loop, pub);
                Scope sc(loop);
                sc.spawn(read_raw(raw, messages, by_event));
                sc.spawn(read_inbox(unpacked, by_inbox));
                for (const auto& [topic, task] : posted)
                    out.post_text(topic, JsonText().str("task", task).take());
                out.close();
                co_await out.run();
                co_await sc.join();
            }(),
            1h, "nine events");
        const std::vector<std::pair<std::string, bool>> want = {{"job.", true},
                                                                {"submit", false},
                                                                {"task.started", true},
                                                                {"workflow", false},
                                                                {"job.exited", false}};
        CHECK(messages == want);
        CHECK(by_event == posted);
        CHECK(by_inbox == posted);
        // A group's batch that is not [topic, body] pairs is refused.
        CHECK_THROWS(each_event("job.", R"([{"task":"a"}])", [](const tock::comp::BusEvent&) {}));
        CHECK_THROWS(each_event("job.", R"([["job.said"]])", [](const tock::comp::BusEvent&) {}));
        CHECK_THROWS(each_event("job.", R"({"task":"a"})", [](const tock::comp::BusEvent&) {}));
    }
}
