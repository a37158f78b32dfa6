/* Every unit test, in run order.  X(name) for a TEST(name) in some test_*.c. */
X(pidtab_put_get_take)
X(pidtab_stress_collisions)
X(proto_roundtrip_split_feed)
X(proto_two_frames_one_feed)
X(proto_oversized_frame_refused_early)
X(proto_zero_length_is_bad)
