#include "coroutines/wire.hpp"

#include <fmt/format.h>
#include <simdjson.h>

#include <algorithm>
#include <iterator>
#include <stdexcept>

namespace tock::comp {

namespace {

// simdjson's tape as nlohmann values. Non-negative integers become unsigned,
// as nlohmann's own parser makes them, so a decoded body compares and dumps
// exactly as Json::parse would have it.
Json convert(simdjson::dom::element e) {
    using T = simdjson::dom::element_type;
    switch (e.type()) {
        case T::OBJECT: {
            Json o = Json::object();
            auto& m = o.get_ref<Json::object_t&>();
            const simdjson::dom::object obj = e.get_object().value_unsafe();
            // Keys arrive sorted (nlohmann writes objects in key order), so
            // each goes in at the end without a search; a repeated key
            // keeps its last value, as with Json::parse.
            for (const auto [k, v] : obj) {
                const std::size_t before = m.size();
                auto it = m.emplace_hint(m.end(), std::string(k), convert(v));
                if (m.size() == before) it->second = convert(v);
            }
            return o;
        }
        case T::ARRAY: {
            Json a = Json::array();
            auto& v = a.get_ref<Json::array_t&>();
            const simdjson::dom::array arr = e.get_array().value_unsafe();
            v.reserve(arr.size());
            for (const auto x : arr) v.push_back(convert(x));
            return a;
        }
        case T::STRING:
            return Json(std::string(e.get_string().value_unsafe()));
        case T::INT64: {
            const std::int64_t i = e.get_int64().value_unsafe();
            if (i >= 0) return Json(static_cast<std::uint64_t>(i));
            return Json(i);
        }
        case T::UINT64:
            return Json(e.get_uint64().value_unsafe());
        case T::DOUBLE:
            return Json(e.get_double().value_unsafe());
        case T::BOOL:
            return Json(e.get_bool().value_unsafe());
        case T::NULL_VALUE:
            return Json(nullptr);
    }
    return Json();
}

}  // namespace

void JsonText::name(std::string_view key) {
    if (s_.size() > 1) s_ += ',';
    quote(key);
    s_ += ':';
}

void append_quoted(std::string& out, std::string_view v) {
    const bool plain = std::all_of(
        v.begin(), v.end(), [](char c) { return c >= 0x20 && c < 0x7f && c != '"' && c != '\\'; });
    if (!plain) {
        out += Json(std::string(v)).dump(-1, ' ', false, Json::error_handler_t::replace);
        return;
    }
    out += '"';
    out += v;
    out += '"';
}

JsonText& JsonText::str(std::string_view key, std::string_view v) {
    name(key);
    quote(v);
    return *this;
}

JsonText& JsonText::num(std::string_view key, std::int64_t v) {
    name(key);
    fmt::format_to(std::back_inserter(s_), "{}", v);
    return *this;
}

JsonText& JsonText::boolean(std::string_view key, bool v) {
    name(key);
    s_ += v ? "true" : "false";
    return *this;
}

JsonText& JsonText::json(std::string_view key, const Json& v) {
    name(key);
    s_ += v.dump(-1, ' ', false, Json::error_handler_t::replace);
    return *this;
}

JsonText& JsonText::raw(std::string_view key, std::string_view json_text) {
    name(key);
    s_ += json_text;
    return *this;
}

JsonText& JsonText::task(const config::Workflow& wf, config::Point p, std::string_view task,
                         int num) {
    str("cycle", wf.cycling.format(p)).num("point", p.value).str("task", task);
    if (num > 0) this->num("num", num);
    return *this;
}

Json decode(std::string_view body) {
    // One parser per thread, reused: its buffers grow to the largest body
    // seen and are not allocated again.
    thread_local simdjson::dom::parser parser;
    simdjson::dom::element root;
    if (const auto err = parser.parse(body.data(), body.size(), true).get(root)) {
        throw std::runtime_error(std::string("bad message body: ") + simdjson::error_message(err));
    }
    return convert(root);
}

}  // namespace tock::comp
