#include "scheduler/rpc.hpp"

#include <fmt/format.h>

#include <atomic>
#include <cstring>

#include "scheduler/curve.hpp"

namespace tock {

namespace {
std::atomic<std::uint64_t> monitor_counter{0};
}

class Channel::ReplyAwaiter {
  public:
    explicit ReplyAwaiter(Pending& p) : p_(p) {}
    bool await_ready() const noexcept { return p_.settled; }
    void await_suspend(std::coroutine_handle<> h) noexcept { p_.ready.handle = h; }
    Json await_resume() {
        if (p_.lost) throw PeerLost(*p_.error);
        if (p_.error) throw RemoteError(*p_.error);
        return std::move(*p_.result);
    }

  private:
    Pending& p_;
};

Channel::Ticket::~Ticket() {
    if (p && p->owner) p->owner->forget(*p);
}

Channel::Channel(Loop& loop, const std::string& endpoint, ChannelOptions opts)
    : loop_(loop),
      opts_(opts),
      external_(endpoint.rfind("inproc://", 0) != 0),
      sock_(loop, zmq::socket_type::dealer),
      monitor_(loop, zmq::socket_type::pair),
      flush_([this] { flush(); }),
      busy_(loop),
      scope_(loop) {
    const std::string mon = fmt::format("inproc://tock-monitor-{}", monitor_counter++);
    if (zmq_socket_monitor(sock_.raw().handle(), mon.c_str(), ZMQ_EVENT_DISCONNECTED) != 0) {
        throw zmq::error_t();
    }
    monitor_.connect(mon);
    if (endpoint.find('[') != std::string::npos) sock_.raw().set(zmq::sockopt::ipv6, 1);
    if (!opts.curve_server_key.empty()) {
        sock_.raw().set(zmq::sockopt::curve_serverkey, opts.curve_server_key);
        sock_.raw().set(zmq::sockopt::curve_publickey, opts.curve_public_key);
        sock_.raw().set(zmq::sockopt::curve_secretkey, opts.curve_secret_key);
    }
    sock_.connect(endpoint);
    scope_.spawn(read_replies());
    scope_.spawn(watchdog());
    scope_.spawn(watch_connection());
}

Channel::~Channel() {
    scope_.cancel();
    fail_all("peer lost: channel closed");
    for (auto& [id, p] : pending_) p->owner = nullptr;
    zmq_socket_monitor(sock_.raw().handle(), nullptr, 0);
}

void Channel::enqueue(Json msg) {
    outbox_.push_back(std::move(msg));
    if (!flush_.linked()) loop_.at_turn_end(flush_);
}

void Channel::flush() noexcept {
    if (outbox_.empty()) return;
    // Runs at turn end, outside any coroutine: it must not throw. Invalid
    // UTF-8 is replaced rather than refused.
    const std::string payload = outbox_.dump(-1, ' ', false, Json::error_handler_t::replace);
    outbox_ = Json::array();
    ++batches_sent_;
    sock_.send_later(make_multipart(payload));
}

void Channel::send(std::string op, Json args) {
    enqueue(Json{{"op", std::move(op)}, {"args", std::move(args)}});
}

Task<Json> Channel::call(std::string op, Json args) {
    const std::uint64_t id = next_id_++;
    auto p = std::make_shared<Pending>();
    p->owner = this;
    p->id = id;
    pending_.emplace(id, p);
    if (outstanding_++ == 0) {
        // The first call after a quiet spell: start listening for the peer now.
        last_heard_ = loop_.clock().now();
        busy_.set();
        if (external_) loop_.hold();
    }
    enqueue(Json{{"id", id}, {"op", std::move(op)}, {"args", std::move(args)}});
    return wait_reply(Ticket(std::move(p)));
}

Task<Json> Channel::wait_reply(Ticket t) {
    co_return co_await ReplyAwaiter(*t.p);
}

void Channel::settle(Pending& p) {
    p.settled = true;
    if (--outstanding_ == 0 && external_) loop_.unhold();
    if (p.ready.handle) loop_.post(p.ready);
}

void Channel::forget(Pending& p) noexcept {
    if (!p.settled) {
        // Abandoned before its reply: a late reply will find no one.
        p.settled = true;
        if (--outstanding_ == 0 && external_) loop_.unhold();
    }
    pending_.erase(p.id);
}

void Channel::fail_all(const std::string& why) {
    for (auto& [id, p] : pending_) {
        if (p->settled) continue;
        p->lost = true;
        p->error = why;
        settle(*p);
    }
}

Task<void> Channel::read_replies() {
    for (;;) {
        Multipart parts = co_await sock_.recv();
        last_heard_ = loop_.clock().now();
        if (parts.size() != 1) continue;
        Json batch = Json::parse(parts[0].to_string_view(), nullptr, /*allow_exceptions=*/false);
        if (!batch.is_array()) continue;
        for (auto& r : batch) {
            if (!r.is_object() || !r.contains("id") || !r["id"].is_number_unsigned()) continue;
            auto it = pending_.find(r["id"].get<std::uint64_t>());
            if (it == pending_.end() || it->second->settled) {
                ++unmatched_;
                continue;
            }
            Pending& p = *it->second;
            if (auto e = r.find("error"); e != r.end()) {
                p.error = e->is_string() ? e->get<std::string>() : e->dump();
            } else {
                p.result = r.value("ok", Json());
            }
            settle(p);
        }
    }
}

Task<void> Channel::watchdog() {
    auto& clock = loop_.clock();
    for (;;) {
        busy_.reset();
        if (outstanding_ == 0) co_await busy_.wait();
        while (outstanding_ > 0) {
            co_await clock.sleep_for(opts_.heartbeat_interval);
            if (outstanding_ == 0) break;
            const auto silent = clock.now() - last_heard_;
            if (silent >= opts_.heartbeat_timeout) {
                fail_all(fmt::format(
                    "peer lost: no reply or heartbeat for {} ms",
                    std::chrono::duration_cast<std::chrono::milliseconds>(silent).count()));
                break;
            }
            if (silent >= opts_.heartbeat_interval) enqueue(Json{{"op", "$ping"}});
        }
    }
}

Task<void> Channel::watch_connection() {
    for (;;) {
        Multipart ev = co_await monitor_.recv();
        if (ev.size() < 1 || ev[0].size() < 2) continue;
        std::uint16_t event = 0;
        std::memcpy(&event, ev[0].data(), 2);
        if (event == ZMQ_EVENT_DISCONNECTED) fail_all("peer lost: connection dropped");
    }
}

Server::Server(Loop& loop, const std::string& endpoint)
    : loop_(loop),
      sock_(loop, zmq::socket_type::router),
      flush_([this] { flush(); }),
      handlers_scope_(loop),
      scope_(loop) {
    // Refuse, rather than silently drop, a reply that cannot be routed.
    sock_.raw().set(zmq::sockopt::router_mandatory, 1);
    sock_.bind(endpoint);
    scope_.spawn(serve());
}

void Server::bind_curve(const std::string& endpoint, const std::string& secret_z85) {
    // An IPv6 address, or every interface of both kinds.
    if (endpoint.find('[') != std::string::npos || endpoint.rfind("tcp://*", 0) == 0)
        sock_.raw().set(zmq::sockopt::ipv6, 1);
    sock_.raw().set(zmq::sockopt::curve_server, 1);
    sock_.raw().set(zmq::sockopt::curve_secretkey, secret_z85);
    sock_.raw().set(zmq::sockopt::zap_domain, "tock");
    enforce_zap(sock_.raw());
    sock_.bind(endpoint);
}

std::string Server::endpoint() const {
    return const_cast<ZSocket&>(sock_).raw().get(zmq::sockopt::last_endpoint);
}

void Server::reply(const std::string& peer, Json msg) {
    outboxes_[peer].push_back(std::move(msg));
    if (!flush_.linked()) loop_.at_turn_end(flush_);
}

void Server::flush() noexcept {
    for (auto& [peer, batch] : outboxes_) {
        if (batch.empty()) continue;
        sock_.send_later(
            make_multipart(peer, batch.dump(-1, ' ', false, Json::error_handler_t::replace)));
        batch = Json::array();
    }
}

Task<void> Server::run(std::string peer, std::optional<std::uint64_t> id, std::string op,
                       Json args) {
    auto h = handlers_.find(op);
    if (h == handlers_.end()) {
        if (id)
            reply(peer, Json{{"id", *id}, {"error", fmt::format("unknown operation '{}'", op)}});
        co_return;
    }
    try {
        Json result = co_await h->second(std::move(args));
        if (id) reply(peer, Json{{"id", *id}, {"ok", std::move(result)}});
    } catch (const std::exception& e) {
        if (id) reply(peer, Json{{"id", *id}, {"error", e.what()}});
    } catch (...) {
        if (id) reply(peer, Json{{"id", *id}, {"error", fmt::format("'{}' failed", op)}});
    }
}

Task<void> Server::serve() {
    for (;;) {
        Multipart parts = co_await sock_.recv();
        if (parts.size() != 2) {
            ++malformed_;
            continue;
        }
        std::string peer = parts[0].to_string();
        std::string who = "local";
        if (!peer_tag_.empty()) {
            if (const char* uid = zmq_msg_gets(parts[1].handle(), "User-Id"); uid && *uid)
                who = uid;
        }
        Json batch = Json::parse(parts[1].to_string_view(), nullptr, /*allow_exceptions=*/false);
        if (!batch.is_array()) {
            ++malformed_;
            continue;
        }
        for (auto& m : batch) {
            if (!m.is_object() || !m.contains("op") || !m["op"].is_string()) {
                ++malformed_;
                continue;
            }
            std::string op = m["op"].get<std::string>();
            if (op == "$ping") {
                reply(peer, Json{{"pong", true}});
                continue;
            }
            std::optional<std::uint64_t> id;
            if (auto i = m.find("id"); i != m.end() && i->is_number_unsigned()) {
                id = i->get<std::uint64_t>();
            }
            if (!id && require_ids_) {
                ++malformed_;
                continue;
            }
            // Spawned handlers start in spawn order, so they start in send order.
            Json args = m.value("args", Json::object());
            if (!peer_tag_.empty() && args.is_object()) args[peer_tag_] = who;
            handlers_scope_.spawn(run(peer, id, std::move(op), std::move(args)));
        }
    }
}

}  // namespace tock
