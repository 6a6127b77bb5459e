// Reading a workflow file's YAML (the loader's view of it): values with
// their places in the file, and every error collected with file:line:col;
// and the small text helpers the loader's messages use. Internal to config/.
#pragma once

#include <yaml-cpp/yaml.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/workflow.hpp"

namespace tock::config::detail {

// " (did you mean 'x'?)" for the closest candidate, or "" if none is close.
std::string did_you_mean(std::string_view word, const std::vector<std::string>& candidates);

// Schema keys may be written with '-' or '_': env-script and env_script are
// the same key. User-chosen names (tasks, variables, outputs) are not touched.
std::string norm_key(std::string k);

std::string join(const std::vector<std::string>& v, std::string_view sep = ", ");

bool valid_name(std::string_view n);

// ---- the reader: YAML nodes to values, collecting every error -------------

class Reader {
  public:
    Reader(std::string file, const std::string& text, std::vector<Diagnostic>& errs);

    Location loc(const YAML::Node& n) const;
    Location loc(const YAML::Mark& m) const { return {file_, m.line + 1, m.column + 1}; }

    void error(const Location& where, std::string msg) { errs_.push_back({where, std::move(msg)}); }
    void error(const YAML::Node& n, std::string msg) { error(loc(n), std::move(msg)); }

    // Check a map's keys against the schema; report unknown and repeated keys.
    bool keys(const YAML::Node& map, const std::string& what,
              const std::vector<std::string>& allowed);

    // map[key] by normalised key (so "env-script" finds env_script).
    YAML::Node get(const YAML::Node& map, std::string_view key) const;

    std::optional<std::string> str(const YAML::Node& n, const std::string& what);

    std::optional<bool> boolean(const YAML::Node& n, const std::string& what);

    std::optional<long> integer(const YAML::Node& n, const std::string& what, long min, long max);

    struct Item {
        std::string text;
        YAML::Node node;  // the item's own node, for error locations
    };

    // A scalar or a list of scalars; a scalar "a, b" is split at commas.
    std::vector<Item> items(const YAML::Node& n, const std::string& what, bool split = true);

    std::vector<std::string> strings(const YAML::Node& n, const std::string& what,
                                     bool split = true);

    // The location of byte `offset` inside the scalar `n`'s text.
    Location inside(const YAML::Node& n, std::size_t offset) const;

    // The location of line `sline`, column `scol` (both from 0) of the
    // scalar `n`'s text.
    Location inside_lc(const YAML::Node& n, int sline, int scol) const;

    const std::string& file() const { return file_; }

  private:
    std::string file_;
    std::vector<std::string> lines_;
    std::vector<Diagnostic>& errs_;
};

}  // namespace tock::config::detail
