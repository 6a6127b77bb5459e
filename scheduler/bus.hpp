// The bus: topic publish/subscribe between components, over ZeroMQ.
//
// A Publisher binds one endpoint (inproc://, ipc:// or tcp://: the component
// code is the same for each) and Subscribers connect to the publishers whose
// topics they consume. Topics match by prefix, as in ZeroMQ.
//
// One frame per message: [topic][body][header][lengths] (bus.cpp). The
// header is 16 bytes, two little-endian u64s, then the sender id:
//   seq   this sender's sequence number, 1, 2, 3 ... over all its topics
//   prev  the seq of this sender's previous message on the same topic (0: none)
// `prev` chains each topic's messages, so a subscriber that takes only some
// topics can still prove it missed nothing on those it takes.
//
// PUB/SUB loses data in two ways, and the bus handles both:
// - Slow joiner: a subscription takes time to reach the publisher, and what
//   is published before it arrives is not delivered. Subscriber::ready() is a
//   handshake: after its topic subscriptions, the subscriber subscribes to a
//   hello topic unique to it; each publisher answers with a welcome carrying
//   its current seq. ZeroMQ keeps one pipe's subscriptions in order, so once
//   the welcome arrives every topic subscription before it is in force, and
//   every message published after the welcome is delivered.
//   Publisher::wait_for_subscribers(n) lets a publisher hold off until n
//   subscribers have said hello.
// - High-water mark: by default (HwmPolicy::block) a publisher whose slowest
//   matching subscriber is `hwm` messages behind waits (ZMQ_XPUB_NODROP): the
//   bus is lossless and applies back-pressure. HwmPolicy::drop keeps ZeroMQ's
//   drop-on-full behaviour for feeds where the newest value is all that
//   matters; a subscriber then detects the hole.
// A subscriber checks every message against the chains: a missing message, or
// a sequence that goes backwards (a publisher restarted under the same id),
// throws BusGap from recv(). Nothing is skipped silently; the exception carries
// the message that revealed the gap, and the subscriber carries on after it.
#pragma once

#include <cstdint>
#include <deque>
#include <nlohmann/json_fwd.hpp>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "scheduler/scope.hpp"
#include "scheduler/zsocket.hpp"

namespace tock {

struct BusMessage {
    std::string topic;
    std::string sender;
    std::uint64_t seq = 0;
    std::uint64_t prev = 0;
    std::string body;
};

class BusGap : public std::runtime_error {
  public:
    BusGap(const std::string& what, BusMessage m)
        : std::runtime_error(what), message(std::move(m)) {}
    BusMessage message;  // the message that revealed the gap (delivered, not lost)
};

enum class HwmPolicy { block, drop };

struct PublisherOptions {
    HwmPolicy policy = HwmPolicy::block;
    int hwm = 10000;  // messages queued per subscriber before the policy applies
};

class Publisher {
  public:
    Publisher(Loop& loop, std::string sender_id, const std::string& endpoint,
              PublisherOptions opts = {});
    // Unbinds at once, so that a successor can bind the same endpoint.
    ~Publisher();
    Publisher(const Publisher&) = delete;
    Publisher& operator=(const Publisher&) = delete;

    // Publish one message. Under HwmPolicy::block this waits while a matching
    // subscriber is full; concurrent publishes keep the order of their calls.
    // The message is numbered when it leaves, so cancelling a waiting publish
    // leaves no gap.
    ZSocket::Send publish(std::string_view topic, std::string_view body);
    // Wait until at least n distinct subscribers have completed the handshake.
    Task<void> wait_for_subscribers(std::size_t n);

    const std::string& id() const noexcept { return id_; }
    std::uint64_t seq() const noexcept { return seq_; }
    // {topic: seq of its last message sent}, for a TimeSync.
    void describe(nlohmann::json& out) const;
    // The bound endpoint, with a tcp port chosen by the system resolved.
    std::string endpoint() const;

  private:
    // Numbers a message as it leaves (see ZSocket::Hook): a data message gets
    // the next seq and its topic's prev; a welcome carries the current seq.
    struct Stamp final : ZSocket::Hook {
        Stamp(Publisher& p, bool w) : pub(p), welcome(w) {}
        void before(Multipart& parts) override;
        void sent() override;
        Publisher& pub;
        bool welcome;
        std::uint64_t* topic_last = nullptr;
    };
    struct TopicHash {
        using is_transparent = void;
        std::size_t operator()(std::string_view s) const noexcept {
            return std::hash<std::string_view>{}(s);
        }
    };

    Task<void> serve_subscriptions();
    Multipart frame(std::string_view topic, std::string_view body) const;

    ZSocket sock_;
    std::string id_;
    std::uint64_t seq_ = 0;
    std::unordered_map<std::string, std::uint64_t, TopicHash, std::equal_to<>> last_on_topic_;
    Stamp data_stamp_{*this, false};
    Stamp welcome_stamp_{*this, true};
    std::unordered_set<std::string> subscribers_;
    Event joined_;
    Scope scope_;
};

class Subscriber {
  public:
    Subscriber(Loop& loop, std::string subscriber_id, int hwm = 10000);
    ~Subscriber();
    Subscriber(const Subscriber&) = delete;
    Subscriber& operator=(const Subscriber&) = delete;

    // Take every topic that starts with `prefix` ("" for all). Call ready()
    // afterwards: until then the subscription may not be in force.
    void subscribe(std::string_view prefix);
    void connect(const std::string& endpoint);
    // The handshake: wait for a welcome from every connected publisher.
    Task<void> ready();
    // The next message, checked against its chain; throws BusGap on a hole.
    Task<BusMessage> recv();

    const std::string& id() const noexcept { return id_; }
    // Its topics and what it has taken of each sender's ({"topics": [...],
    // "chains": {sender: {"welcome": seq, "last": {topic: seq}}}}), for a
    // TimeSync.
    void describe(nlohmann::json& out) const;

  private:
    struct Chain {
        bool welcomed = false;
        std::uint64_t welcome_seq = 0;
        std::uint64_t last_seq = 0;
        std::unordered_map<std::string, std::uint64_t> last_on_topic;
    };
    // Returns true for a control frame (welcome), which recv() consumes.
    bool control(const BusMessage& m);
    void check(const BusMessage& m);

    ZSocket sock_;
    std::string id_;
    std::size_t publishers_ = 0;
    unsigned round_ = 0;
    std::string hello_;
    std::unordered_set<std::string> welcomed_this_round_;
    std::unordered_map<std::string, Chain> chains_;
    std::deque<BusMessage> early_;     // data that arrived during ready()
    std::vector<std::string> topics_;  // the prefixes subscribed to
};

// Decode a bus frame (bus.cpp gives its layout); throws std::invalid_argument
// on a bad one.
BusMessage decode_bus_frame(Multipart& parts);

}  // namespace tock
