// Errors with a place: every config error names file:line:col.
#pragma once

#include <stdexcept>
#include <string>

namespace tock::config {

// A position in the workflow file; line and col count from 1 (0: unknown).
struct Location {
    std::string file;
    int line = 0;
    int col = 0;
    std::string str() const;  // "file:line:col"
};

// A parse error inside one string (a graph line, a date-time, a duration):
// `offset` is the byte offset in that string where the bad token starts.
// The caller maps it onto a Location.
class ParseError : public std::runtime_error {
  public:
    ParseError(std::string what, std::size_t off)
        : std::runtime_error(std::move(what)), offset(off) {}
    std::size_t offset;
};

}  // namespace tock::config
