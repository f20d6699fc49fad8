package org.konsil.bench;

/**
 * Workloads: rooms × members that all send, plus idle authenticated connections. Every room belongs
 * to its own organisation, whose users are the room's members.
 */
public enum Preset {
  SMALL(100, 10, 0),
  MEDIUM(500, 10, 0),
  // the memory target is given at 10,000 idle connections
  LARGE(100, 10, 10_000);

  final int rooms;
  final int members;
  final int idle;

  Preset(int rooms, int members, int idle) {
    this.rooms = rooms;
    this.members = members;
    this.idle = idle;
  }

  int active() {
    return rooms * members;
  }
}
