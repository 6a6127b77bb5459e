#include "tools/import.hpp"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "tools/cylc_map.hpp"
#include "tools/cylc_reader.hpp"

namespace tock::cmd {

namespace {

namespace fs = std::filesystem;

// KEY=VALUE: KEY a Python identifier, VALUE kept as text for Python to read
// as a literal.
std::pair<std::string, std::string> assignment(const std::string& s, const std::string& where) {
    auto blank = [](char c) { return c == ' ' || c == '\t' || c == '\r'; };
    const auto eq = s.find('=');
    std::string key = eq == std::string::npos ? "" : s.substr(0, eq);
    while (!key.empty() && blank(key.back())) key.pop_back();
    key.erase(0, key.find_first_not_of(" \t"));
    const bool name = !key.empty() && !std::isdigit(static_cast<unsigned char>(key[0])) &&
                      std::all_of(key.begin(), key.end(), [](char c) {
                          return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
                      });
    if (!name) {
        throw cylc::ReadError(fmt::format(
            "{}: '{}' is not KEY=VALUE (KEY a name of letters, digits and _)", where, s));
    }
    std::string v = s.substr(eq + 1);
    v.erase(0, v.find_first_not_of(" \t"));
    while (!v.empty() && blank(v.back())) v.pop_back();
    return {key, v};
}

std::vector<std::pair<std::string, std::string>> template_vars(const ImportOptions& opts) {
    std::vector<std::pair<std::string, std::string>> vars;
    auto add = [&](std::pair<std::string, std::string> kv) {
        for (auto& [k, v] : vars) {
            if (k == kv.first) {
                v = kv.second;
                return;
            }
        }
        vars.push_back(std::move(kv));
    };
    // As cylc play: --set-file first, then --set, which wins.
    for (const auto& f : opts.set_files) {
        std::ifstream in(f);
        if (!in) {
            throw cylc::ReadError(
                fmt::format("{}: error: cannot read the --set-file: {}", f, std::strerror(errno)));
        }
        int n = 0;
        for (std::string line; std::getline(in, line);) {
            ++n;
            const auto b = line.find_first_not_of(" \t\r");
            if (b == std::string::npos || line[b] == '#') continue;
            add(assignment(line, fmt::format("{}:{}: error", f, n)));
        }
    }
    for (const auto& s : opts.sets) add(assignment(s, "tock import: --set"));
    return vars;
}

// The workflow's name, as Cylc names it: its directory, unless the file
// has a name of its own.
std::string workflow_name(const std::string& flow) {
    const fs::path p = fs::absolute(flow).lexically_normal();
    const std::string file = p.filename().string();
    if (file == "flow.cylc" || file == "suite.rc") {
        const std::string dir = p.parent_path().filename().string();
        if (!dir.empty()) return dir;
    }
    return p.stem().string();
}

}  // namespace

int import_flow(const ImportOptions& opts) {
    cylc::Section root;
    try {
        cylc::ReadOptions ro;
        ro.vars = template_vars(opts);
        if (const char* py = std::getenv("TOCK_PYTHON"); py && *py) ro.python = py;
        if (opts.rendered) {
            // As cylc view shows it: what the parser would read.
            std::vector<std::string> text;
            ro.text = &text;
            (void)cylc::read_flow(opts.flow, ro);
            for (const auto& l : text) fmt::print("{}\n", l);
            return 0;
        }
        root = cylc::read_flow(opts.flow, ro);
    } catch (const cylc::ReadError& e) {
        fmt::print(stderr, "{}\n", e.what());
        return 2;
    }
    cylc::Mapped m = cylc::to_tock(root, workflow_name(opts.flow), opts.flow);
    if (!m.has_graph) {
        fmt::print(stderr,
                   "tock import: {}: nothing to import: there is no graph ([scheduling][[graph]] "
                   "is missing or empty), so the workflow would run nothing\n",
                   opts.flow);
        return 1;
    }
    const std::string text = m.doc.write();
    try {
        (void)YAML::Load(text);
    } catch (const YAML::Exception& e) {
        // Our own emitter's fault, never the user's: say so plainly.
        fmt::print(stderr, "tock import: internal error: the YAML written does not load ({})\n",
                   e.what());
        return 1;
    }
    if (opts.output.empty()) {
        fmt::print("{}", text);
    } else {
        std::ofstream out(opts.output);
        if (!out || !(out << text) || !(out.flush())) {
            fmt::print(stderr, "tock import: cannot write {}: {}\n", opts.output,
                       std::strerror(errno));
            return 2;
        }
    }
    if (m.not_carried > 0) {
        fmt::print(stderr,
                   "tock import: {} setting{} not carried over: see the '# not carried over' "
                   "comments{}\n",
                   m.not_carried, m.not_carried == 1 ? "" : "s",
                   opts.output.empty() ? "" : " in " + opts.output);
    }
    return 0;
}

}  // namespace tock::cmd
