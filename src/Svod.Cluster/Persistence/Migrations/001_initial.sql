-- Version 1: membership, shards, channel snapshots, retained finals (docs/cluster.md).
CREATE TABLE svod.settings (key text PRIMARY KEY, value text NOT NULL);          -- 'shards' = shard count
CREATE TABLE svod.members (
  node_id      text PRIMARY KEY,
  incarnation  uuid NOT NULL,
  address      text NOT NULL,             -- what clients connect to: ws://host:port/v1/stream
  state        text NOT NULL CHECK (state IN ('joining', 'up', 'leaving', 'down', 'removed')),
  heartbeat_at timestamptz NOT NULL,
  joined_at    timestamptz NOT NULL,
  channels     int NOT NULL DEFAULT 0,    -- open channels, for `svod cluster show`
  lanes_busy   real NOT NULL DEFAULT 0,   -- fraction of time the lane pools ran a call
  coordinator_pid int NULL);              -- backend pid holding the coordinator lock, when this node holds it
CREATE TABLE svod.shards (
  shard_id   int PRIMARY KEY,
  owner      text NULL,                   -- node id; NULL while unowned
  epoch      bigint NOT NULL DEFAULT 0,
  state      text NOT NULL CHECK (state IN ('unowned', 'owned', 'handoff')),
  handoff_to text NULL,                   -- with state 'handoff': where the shard goes next
  updated_at timestamptz NOT NULL DEFAULT now());
CREATE TABLE svod.snapshots (
  utterance_id text PRIMARY KEY,
  shard_id     int NOT NULL,
  epoch        bigint NOT NULL,
  frames       bigint NOT NULL,           -- frames decoded into this state: the durable offset
  state        bytea NOT NULL,            -- ChannelSnapshot bytes (channel state + actor state)
  updated_at   timestamptz NOT NULL DEFAULT now());
CREATE INDEX ON svod.snapshots (shard_id);
CREATE TABLE svod.finals (
  utterance_id text PRIMARY KEY,
  shard_id     int NOT NULL,
  result       bytea NOT NULL,            -- the protobuf Result with end_of_utterance
  expires_at   timestamptz NOT NULL);
CREATE INDEX ON svod.finals (expires_at);
