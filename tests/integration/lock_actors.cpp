#include "tests/integration/lock_actors.h"

#include <map>
#include <sstream>

namespace ukstack::test {

std::vector<Actor> actors_of(const FixtureProcess& fixture) {
  std::map<std::string, Actor> by_name;
  std::vector<std::string> order;
  std::istringstream words(fixture.ready_line());
  for (std::string word; words >> word;) {
    const auto eq = word.find('=');
    if (eq == std::string::npos) continue;
    const std::string key = word.substr(0, eq), value = word.substr(eq + 1);
    if (key == "pid" || key == "scene") continue;
    const auto dot = key.find('.');
    const std::string name = key.substr(0, dot);
    if (!by_name.contains(name)) order.push_back(name);
    Actor& actor = by_name[name];
    actor.name = name;
    const std::string field = dot == std::string::npos ? "" : key.substr(dot + 1);
    if (field.empty()) actor.tid = std::stoi(value);
    if (field == "holds") actor.holds = value;
    if (field == "reads") actor.reads = value;
    if (field == "waits") actor.waits = value;
    if (field == "kind") actor.kind = value;
  }
  std::vector<Actor> actors;
  for (const std::string& name : order) actors.push_back(by_name[name]);
  return actors;
}

int holder_of(const std::vector<Actor>& actors, const std::string& lock) {
  for (const Actor& actor : actors) {
    if (actor.holds == lock) return actor.tid;
  }
  return 0;
}

}  // namespace ukstack::test
