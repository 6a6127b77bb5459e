#include "scheduler/bus.hpp"

#include <fmt/format.h>

#include <cstring>
#include <nlohmann/json.hpp>

#include "scheduler/curve.hpp"

namespace tock {

namespace {

// Control topics start with a NUL byte, which no component topic does.
constexpr std::string_view kHelloPrefix{"\0tock.hello\0", 12};

void put_u64(char* p, std::uint64_t v) {
    for (int i = 0; i < 8; ++i) p[i] = static_cast<char>((v >> (8 * i)) & 0xff);
}

std::uint64_t get_u64(const char* p) {
    std::uint64_t v = 0;
    for (int i = 0; i < 8; ++i) v |= std::uint64_t(static_cast<unsigned char>(p[i])) << (8 * i);
    return v;
}

// One frame per message, so that a publish is one ZeroMQ send:
//   [topic][body][seq u64][prev u64][sender][topic length u32][sender length u32]
// The topic leads, because subscriptions match a frame's first bytes.
constexpr std::size_t kTrailer = 8;

std::uint32_t get_u32(const char* p) {
    std::uint32_t v = 0;
    for (int i = 0; i < 4; ++i) v |= std::uint32_t(static_cast<unsigned char>(p[i])) << (8 * i);
    return v;
}

void put_u32(char* p, std::uint32_t v) {
    for (int i = 0; i < 4; ++i) p[i] = static_cast<char>((v >> (8 * i)) & 0xff);
}

// Where the 16-byte seq/prev header starts in a frame.
std::size_t header_at(std::size_t frame_size, std::size_t sender_size) {
    return frame_size - kTrailer - sender_size - 16;
}

}  // namespace

BusMessage decode_bus_frame(Multipart& parts) {
    if (parts.size() != 1) {
        throw std::invalid_argument(fmt::format("bus frame has {} parts, want 1", parts.size()));
    }
    const char* f = static_cast<const char*>(parts[0].data());
    const std::size_t size = parts[0].size();
    if (size < kTrailer + 16) throw std::invalid_argument("bus frame shorter than its header");
    const std::size_t topic_len = get_u32(f + size - kTrailer);
    const std::size_t sender_len = get_u32(f + size - 4);
    if (topic_len + sender_len + 16 + kTrailer > size) {
        throw std::invalid_argument("bus frame lengths exceed the frame");
    }
    const std::size_t h = header_at(size, sender_len);
    BusMessage m;
    m.topic.assign(f, topic_len);
    m.body.assign(f + topic_len, h - topic_len);
    m.seq = get_u64(f + h);
    m.prev = get_u64(f + h + 8);
    m.sender.assign(f + h + 16, sender_len);
    return m;
}

Publisher::Publisher(Loop& loop, std::string sender_id, const std::string& endpoint,
                     PublisherOptions opts)
    : sock_(loop, zmq::socket_type::xpub), id_(std::move(sender_id)), joined_(loop), scope_(loop) {
    sock_.raw().set(zmq::sockopt::sndhwm, opts.hwm);
    if (opts.policy == HwmPolicy::block) sock_.raw().set(zmq::sockopt::xpub_nodrop, 1);
    secure_tcp(sock_.raw(), endpoint, true);
    sock_.bind(endpoint);
    scope_.spawn(serve_subscriptions());
    loop.publishers().insert(this);
}

void Publisher::describe(nlohmann::json& out) const {
    out = nlohmann::json::object();
    for (const auto& [topic, seq] : last_on_topic_) out[topic] = seq;
}

Publisher::~Publisher() {
    sock_.loop().publishers().erase(this);
    try {
        sock_.raw().unbind(endpoint());
    } catch (const zmq::error_t&) {
        // already gone with its context: nothing to release
    }
}

std::string Publisher::endpoint() const {
    return const_cast<ZSocket&>(sock_).raw().get(zmq::sockopt::last_endpoint);
}

Multipart Publisher::frame(std::string_view topic, std::string_view body) const {
    // seq and prev are stamped as it leaves
    zmq::message_t f(topic.size() + body.size() + 16 + id_.size() + kTrailer);
    char* p = static_cast<char*>(f.data());
    std::memcpy(p, topic.data(), topic.size());
    std::memcpy(p + topic.size(), body.data(), body.size());
    const std::size_t h = header_at(f.size(), id_.size());
    std::memcpy(p + h + 16, id_.data(), id_.size());
    put_u32(p + f.size() - kTrailer, static_cast<std::uint32_t>(topic.size()));
    put_u32(p + f.size() - 4, static_cast<std::uint32_t>(id_.size()));
    Multipart m;
    m.push_back(std::move(f));
    return m;
}

void Publisher::Stamp::before(Multipart& parts) {
    char* f = static_cast<char*>(parts[0].data());
    const std::size_t size = parts[0].size();
    char* h = f + header_at(size, pub.id_.size());
    if (welcome) {
        put_u64(h, pub.seq_);
        put_u64(h + 8, 0);
        return;
    }
    const std::string_view topic(f, get_u32(f + size - kTrailer));
    auto it = pub.last_on_topic_.find(topic);
    if (it == pub.last_on_topic_.end()) it = pub.last_on_topic_.emplace(topic, 0).first;
    topic_last = &it->second;
    put_u64(h, pub.seq_ + 1);
    put_u64(h + 8, *topic_last);
}

void Publisher::Stamp::sent() {
    if (welcome) return;
    *topic_last = ++pub.seq_;
}

ZSocket::Send Publisher::publish(std::string_view topic, std::string_view body) {
    return sock_.send(frame(topic, body), &data_stamp_);
}

Task<void> Publisher::wait_for_subscribers(std::size_t n) {
    while (subscribers_.size() < n) {
        joined_.reset();
        co_await joined_.wait();
    }
}

Task<void> Publisher::serve_subscriptions() {
    for (;;) {
        Multipart parts = co_await sock_.recv();
        if (parts.size() != 1 || parts[0].size() < 1) continue;
        std::string_view s(static_cast<const char*>(parts[0].data()), parts[0].size());
        // 0x01 + topic subscribes, 0x00 + topic unsubscribes.
        if (s[0] != 1) continue;
        std::string_view topic = s.substr(1);
        if (topic.substr(0, kHelloPrefix.size()) != kHelloPrefix) continue;
        // hello topic: prefix, subscriber id, NUL, round
        std::string_view rest = topic.substr(kHelloPrefix.size());
        std::string subscriber(rest.substr(0, rest.find('\0')));
        // The welcome goes out in order after everything published so far, and
        // carries the seq of the last of it.
        co_await sock_.send(frame(topic, ""), &welcome_stamp_);
        if (subscribers_.insert(subscriber).second) joined_.set();
    }
}

Subscriber::Subscriber(Loop& loop, std::string subscriber_id, int hwm)
    : sock_(loop, zmq::socket_type::sub), id_(std::move(subscriber_id)) {
    sock_.raw().set(zmq::sockopt::rcvhwm, hwm);
    loop.subscribers().insert(this);
}

Subscriber::~Subscriber() {
    sock_.loop().subscribers().erase(this);
}

void Subscriber::subscribe(std::string_view prefix) {
    sock_.raw().set(zmq::sockopt::subscribe, prefix);
    topics_.emplace_back(prefix);
}

void Subscriber::describe(nlohmann::json& out) const {
    out = {{"id", id_}, {"topics", topics_}, {"chains", nlohmann::json::object()}};
    for (const auto& [sender, c] : chains_) {
        if (!c.welcomed) continue;
        auto& j = out["chains"][sender];
        j["welcome"] = c.welcome_seq;
        j["last"] = nlohmann::json::object();
        for (const auto& [topic, seq] : c.last_on_topic) j["last"][topic] = seq;
    }
}

void Subscriber::connect(const std::string& endpoint) {
    secure_tcp(sock_.raw(), endpoint, false);
    sock_.connect(endpoint);
    ++publishers_;
}

Task<void> Subscriber::ready() {
    ++round_;
    hello_ = std::string(kHelloPrefix) + id_ + '\0' + std::to_string(round_);
    welcomed_this_round_.clear();
    sock_.raw().set(zmq::sockopt::subscribe, hello_);
    // Under the virtual clock, time waits for the handshake: until the
    // welcomes are in, messages may be on their way that no count shows.
    Loop& loop = sock_.loop();
    loop.hold();
    struct Unhold {
        Loop& l;
        ~Unhold() { l.unhold(); }
    } unhold{loop};
    while (welcomed_this_round_.size() < publishers_) {
        Multipart parts = co_await sock_.recv();
        BusMessage m = decode_bus_frame(parts);
        if (!control(m)) early_.push_back(std::move(m));
    }
    sock_.raw().set(zmq::sockopt::unsubscribe, hello_);
}

bool Subscriber::control(const BusMessage& m) {
    if (m.topic.empty() || m.topic[0] != '\0') return false;
    if (m.topic == hello_) {
        Chain& c = chains_[m.sender];
        c.welcomed = true;
        c.welcome_seq = m.seq;
        welcomed_this_round_.insert(m.sender);
    }
    return true;  // someone's welcome: never data
}

void Subscriber::check(const BusMessage& m) {
    Chain& c = chains_[m.sender];
    if (m.seq <= c.last_seq) {
        const auto last = c.last_seq;
        c = Chain{};
        c.last_seq = m.seq;
        c.last_on_topic[m.topic] = m.seq;
        throw BusGap(fmt::format("bus: sender '{}' went back from seq {} to {} (restarted?)",
                                 m.sender, last, m.seq),
                     m);
    }
    c.last_seq = m.seq;
    auto [it, fresh] = c.last_on_topic.try_emplace(m.topic, 0);
    const std::uint64_t seen = it->second;
    it->second = m.seq;
    const bool hole = fresh ? (c.welcomed && m.prev > c.welcome_seq) : (m.prev != seen);
    if (hole) {
        throw BusGap(fmt::format("bus: missed messages from '{}' on '{}': got seq {} whose "
                                 "predecessor {} never arrived (last seen {})",
                                 m.sender, m.topic, m.seq, m.prev, seen),
                     m);
    }
}

Task<BusMessage> Subscriber::recv() {
    for (;;) {
        BusMessage m;
        if (!early_.empty()) {
            m = std::move(early_.front());
            early_.pop_front();
        } else {
            Multipart parts = co_await sock_.recv();
            m = decode_bus_frame(parts);
            if (control(m)) continue;
        }
        check(m);
        co_return m;
    }
}

}  // namespace tock
