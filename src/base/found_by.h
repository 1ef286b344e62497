// How an unwinder found a frame; shared by the unwinders and the snapshot model.
#pragma once

namespace ukstack {

// How the unwinder found a frame (as breakpad's frame trust): from the thread's
// registers (the innermost frame), by its callee's DWARF CFI, or by following the
// rbp chain because its callee had no CFI (a guess that holds only for code built
// with frame pointers).
enum class FoundBy { Context, Cfi, FramePointer };

}  // namespace ukstack
