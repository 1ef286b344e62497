// What fixtures/lock_waits printed of its scene: each thread's tid, the locks it
// holds (or reads, for rwlocks) and the one it waits for.
#pragma once

#include <string>
#include <vector>

#include "tests/support/fixture_process.h"

namespace ukstack::test {

// One thread of the scene as the fixture printed it.
struct Actor {
  std::string name;
  int tid = 0;
  std::string holds, reads, waits, kind;  // lock addresses ("0x55..."), the waited lock's kind
};

// The actors of the ready line's `NAME=TID NAME.holds=ADDR ...` words, in its order.
std::vector<Actor> actors_of(const FixtureProcess& fixture);

// The tid of the actor that holds `lock`, 0 if none does.
int holder_of(const std::vector<Actor>& actors, const std::string& lock);

}  // namespace ukstack::test
