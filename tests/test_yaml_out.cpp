// tock import's YAML writer against yaml-cpp's reader: whatever a string
// holds (indicators, quotes, blanks at either end, control characters,
// several lines), as a mapping's value and as a list item, it reads back
// as the same string. Found by this test: '?' inside a flow list item, and
// literal blocks with blank first lines or trailing blanks.
#include <doctest/doctest.h>
#include <yaml-cpp/yaml.h>

#include <string>
#include <vector>

#include "tools/yaml_out.hpp"

using tock::yout::Node;

namespace {

// The value read back; a literal block (|) clips to one final newline.
void round_trip(const std::string& s) {
    Node doc = Node::map();
    doc.set("k", Node::str(s));
    doc.set(s.empty() ? "e" : s, Node::str("key"));
    Node l = Node::list();
    l.push(Node::str(s));
    l.push(Node::str("z"));
    doc.set("l", std::move(l));
    const std::string text = doc.write();
    YAML::Node n;
    REQUIRE_NOTHROW_MESSAGE(n = YAML::Load(text), text);
    const std::string v = n["k"].as<std::string>();
    CHECK_MESSAGE((v == s || (s.find('\n') != std::string::npos && v == s + "\n")), text);
    CHECK_MESSAGE(n["l"][0].as<std::string>() == s, text);
    CHECK_MESSAGE(n[s.empty() ? "e" : s].as<std::string>() == "key", text);
}

}  // namespace

TEST_SUITE("yaml_out") {
    TEST_CASE("every printable character, at the start, inside and at the end") {
        std::string chars;
        for (int c = 32; c < 127; ++c) chars += static_cast<char>(c);
        for (char a : chars) {
            for (char b : chars) {
                round_trip(std::string(1, a) + "x" + b);
                round_trip(std::string("x") + a + b + "y");
                round_trip(std::string("x ") + a + " " + b);
            }
        }
    }

    TEST_CASE("blanks, control characters and several lines") {
        const std::vector<std::string> odd = {"\t", "\n", "\x01", "\x7f", "\xc3\xa9", "\\", "\"",
                                              "'",  " ",  "\r",   "\n\n", ": ",       " #"};
        const std::vector<std::string> words = {"",     "x",     "-", "?",    "a b",
                                                "  in", "out  ", "|", ">",    "%(x)s",
                                                "1",    "true",  "~", "null", "--ntasks"};
        for (const auto& a : words) {
            for (const auto& o : odd) {
                for (const auto& b : words) round_trip(a + o + b);
                round_trip(o + a);
            }
        }
    }

    TEST_CASE("a script is a literal block, comments stay where they are put") {
        Node doc = Node::map();
        doc.comment("first");
        Node& rt = doc.child("runtime");
        rt.child("model").keep().set("script", Node::str("run-model\necho done\n"));
        rt.child("empty").comment("only a comment");  // not kept: left out, comment stays
        rt.child("task").keep();
        CHECK(doc.write() ==
              "# first\n"
              "runtime:\n"
              "  model:\n"
              "    script: |\n"
              "      run-model\n"
              "      echo done\n"
              "  # only a comment\n"
              "  task: {}\n");
    }
}
