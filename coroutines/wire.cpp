#include "coroutines/wire.hpp"

#include <fmt/format.h>
#include <simdjson.h>

#include <algorithm>
#include <cassert>
#include <charconv>
#include <iterator>
#include <memory>
#include <stdexcept>
#include <vector>

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
            // Keys that arrive sorted (nlohmann writes objects in key order)
            // go in at the end without a search; others find their place. A
            // repeated key keeps its last value, as with Json::parse.
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

using simdjson::dom::element;

std::int64_t integer(element v) {
    if (v.is_uint64()) return static_cast<std::int64_t>(v.get_uint64().value());
    return v.get_int64().value();
}

std::vector<std::string_view> strings(element v) {
    std::vector<std::string_view> out;
    // Each array and object is bound to a name first: a range-for over
    // get_array().value() would walk a destroyed temporary.
    const simdjson::dom::array a = v.get_array().value();
    for (const element x : a) out.push_back(x.get_string().value());
    return out;
}

// A body's object, field by field, into a BusEvent. Fields it has no
// place for are skipped; a field of the wrong type throws.
BusEvent read_event(std::string_view topic, element body) {
    BusEvent e;
    e.topic = topic;
    const simdjson::dom::object fields = body.get_object().value();
    for (const auto [k, v] : fields) {
        if (k == "event") {
            e.event = v.get_string().value();
        } else if (k == "point") {
            e.point = integer(v);
        } else if (k == "task") {
            e.task = v.get_string().value();
        } else if (k == "cycle") {
            e.cycle = v.get_string().value();
        } else if (k == "state") {
            e.state = v.get_string().value();
        } else if (k == "num") {
            e.num = static_cast<int>(integer(v));
        } else if (k == "message") {
            e.message = v.get_string().value();
        } else if (k == "output") {
            e.output = v.get_string().value();
        } else if (k == "error") {
            e.error = v.get_string().value();
        } else if (k == "runner") {
            e.runner = v.get_string().value();
        } else if (k == "job_id") {
            e.job_id = v.get_string().value();
        } else if (k == "triggered_by") {
            e.triggered_by = strings(v);
        } else if (k == "pid") {
            e.pid = integer(v);
        } else if (k == "at") {
            e.at = integer(v);
        } else if (k == "exit") {
            e.exit = integer(v);
        } else if (k == "signal") {
            e.signal = integer(v);
        } else if (k == "label") {
            e.label = v.get_string().value();
        } else if (k == "kind") {
            e.kind = v.get_string().value();
        } else if (k == "settings") {
            e.settings = simdjson::minify(v);
        } else if (k == "results") {
            e.results = simdjson::minify(v);
        } else if (k == "restart") {
            e.restart = v.get_bool().value();
        } else if (k == "adopted") {
            e.adopted = v.get_bool().value();
        } else if (k == "row") {
            e.has_row = true;
            const simdjson::dom::object row = v.get_object().value();
            for (const auto [rk, rv] : row) {
                if (rk == "in_pool") {
                    e.in_pool = rv.get_bool().value();
                } else if (rk == "held") {
                    e.held = rv.get_bool().value();
                } else if (rk == "retries") {
                    e.retries = static_cast<int>(integer(rv));
                } else if (rk == "submit_retries") {
                    e.submit_retries = static_cast<int>(integer(rv));
                } else if (rk == "retry_at") {
                    e.retry_at = integer(rv);
                } else if (rk == "outputs") {
                    e.outputs = strings(rv);
                }
            }
        }
    }
    return e;
}

}  // namespace

void JsonText::name(std::string_view key) {
    // Keys are the field names of our own messages: plain, never escaped.
    assert(std::all_of(key.begin(), key.end(),
                       [](char c) { return c > 0x20 && c < 0x7f && c != '"' && c != '\\'; }));
    if (s_.size() > 1) s_ += ',';
    s_ += '"';
    s_ += key;
    s_ += "\":";
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
    char buf[24];
    const auto r = std::to_chars(buf, buf + sizeof buf, v);
    s_.append(buf, r.ptr);
    return *this;
}

JsonText& JsonText::boolean(std::string_view key, bool v) {
    name(key);
    s_ += v ? "true" : "false";
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

namespace {

// A body's parse, on a parser of its own for as long as it is in use (a
// Parse). Parsers are kept per thread and reused, so their buffers grow to
// the largest body seen and are not allocated again; one is taken per level
// of nesting, so that a callback of each_event that reads another body does
// not overwrite the views it was given.
class Parse {
  public:
    explicit Parse(std::string_view body) {
        if (pool().size() <= depth()) pool().push_back(std::make_unique<simdjson::dom::parser>());
        simdjson::dom::parser& parser = *pool()[depth()++];
        if (const auto err = parser.parse(body.data(), body.size(), true).get(root_)) {
            --depth();
            throw std::runtime_error(std::string("bad message body: ") +
                                     simdjson::error_message(err));
        }
    }
    ~Parse() { --depth(); }
    Parse(const Parse&) = delete;
    Parse& operator=(const Parse&) = delete;
    element root() const { return root_; }

  private:
    static std::vector<std::unique_ptr<simdjson::dom::parser>>& pool() {
        thread_local std::vector<std::unique_ptr<simdjson::dom::parser>> parsers;
        return parsers;
    }
    static std::size_t& depth() {
        thread_local std::size_t d = 0;
        return d;
    }
    element root_;
};

}  // namespace

Json decode(std::string_view body) {
    const Parse parse(body);
    return convert(parse.root());
}

void each_event(std::string_view topic, std::string_view body,
                const std::function<void(const BusEvent&)>& f) {
    const Parse parse(body);
    const element root = parse.root();
    if (is_group(topic)) {
        // [[topic, body], ...]
        const simdjson::dom::array events = root.get_array().value();
        for (const element x : events) {
            const simdjson::dom::array entry = x.get_array().value();
            if (entry.size() != 2)
                throw std::runtime_error("bad message body: an entry of a batch of " +
                                         std::string(topic) + " is not a [topic, body] pair");
            f(read_event(entry.at(0).get_string().value(), entry.at(1).value()));
        }
    } else if (root.is_array()) {
        const simdjson::dom::array events = root.get_array().value();
        for (const element e : events) f(read_event(topic, e));
    } else {
        f(read_event(topic, root));
    }
}

}  // namespace tock::comp
