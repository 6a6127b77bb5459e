#include "config/error.hpp"

#include <fmt/format.h>

namespace tock::config {

std::string Location::str() const {
    if (line == 0) return file;
    return fmt::format("{}:{}:{}", file, line, col);
}

}  // namespace tock::config
