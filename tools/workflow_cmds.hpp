// `tock validate`, `tock list`, `tock graph`: reading a workflow file.
#pragma once

#include <optional>
#include <string>

namespace tock::cmd {

int validate(const std::string& file);
int list(const std::string& file, bool tree);

struct GraphOptions {
    std::string file;
    std::optional<std::string> from, to;
    std::string format = "text";        // text, dot, svg
    std::optional<std::string> output;  // svg: the file to write (default NAME.svg)
};
int graph(const GraphOptions& o);

}  // namespace tock::cmd
