// Shared helpers for the workflow-model tests: a workflow from text, and its
// errors.
#pragma once

#include <string>
#include <vector>

#include "config/workflow.hpp"

namespace tock::test {

inline config::Workflow wf(const std::string& text) {
    return config::Workflow::parse(text, "flow.yaml");
}

// Every error loading `text` gives (none if it loads).
inline std::vector<config::Diagnostic> errors_of(const std::string& text) {
    try {
        (void)wf(text);
    } catch (const config::ConfigErrors& e) {
        return e.errors;
    }
    return {};
}

}  // namespace tock::test
