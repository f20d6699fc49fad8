package org.konsil.bench;

/**
 * Workloads: rooms × members that all send, plus idle authenticated connections. Every room belongs
 * to its own organisation, whose users are the room's members.
 */
public enum Preset {
  SMALL(100, 10, 0),
  MEDIUM(500, 10, 0),
  // 20,000 idle connections are the target; with the client and the server each holding one
  // descriptor per connection, a hard limit of 20,000 open files per process caps it lower.
  LARGE(100, 10, 20_000);

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
