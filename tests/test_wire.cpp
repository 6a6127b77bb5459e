// comp::decode against nlohmann's own parser: the same values for every
// body, the same refusal of malformed ones, including a few thousand
// mutations of real bus bodies.
#include <doctest/doctest.h>

#include <random>
#include <string>
#include <vector>

#include "coroutines/wire.hpp"

using tock::Json;
using tock::comp::decode;

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
}
