// A small YAML document built in order and written by hand, for output a
// person reads: block style, short lists of plain words in flow style
// ([a, b]), multi-line strings as literal blocks (|), and comment lines at
// any place in a mapping. Scalars are quoted only when YAML would read them
// otherwise.
#pragma once

#include <memory>
#include <string>
#include <vector>

namespace tock::yout {

class Node {
  public:
    enum class Kind { scalar, map, list };

    static Node str(std::string text);    // a string, quoted if need be
    static Node plain(std::string text);  // written as is: true, 5
    static Node map();
    static Node list();

    Kind kind() const { return kind_; }
    bool empty() const;                             // no value in it (comments aside)
    bool bare() const { return entries_.empty(); }  // not even a comment

    // map: the value of key, added at the end if new (replaced in place if
    // not).
    Node& set(const std::string& key, Node value);
    // map: the mapping under key, added empty if new.
    Node& child(const std::string& key);
    Node* find(const std::string& key);
    void erase(const std::string& key);
    // A mapping kept even when it holds no value (a runtime namespace);
    // any other empty mapping is left out, its comments written in its place.
    Node& keep() {
        keep_ = true;
        return *this;
    }
    // list: append.
    void push(Node value);
    // map: a comment line at this place.
    void comment(const std::string& text);

    std::string write() const;  // the whole document, this being its top mapping

  private:
    struct Entry {
        std::string key;  // empty for a list item or a comment
        std::unique_ptr<Node> value;
        std::string comment;
        bool is_comment = false;
    };

    void comments(std::vector<std::string>& out) const;  // this map's and its maps'
    void write_map(std::string& out, int indent) const;
    void write_value(std::string& out, int indent) const;

    Kind kind_ = Kind::scalar;
    std::string text_;
    bool plain_ = false;
    bool keep_ = false;
    std::vector<Entry> entries_;
};

// The scalar as YAML writes it on one line (quoted if need be); flow: as an
// item of [a, b].
std::string scalar(const std::string& text, bool flow = false);

}  // namespace tock::yout
