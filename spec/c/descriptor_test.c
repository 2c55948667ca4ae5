/* descriptor_test.c - snare's descriptors kept out of the program's numbers. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include "snare.h"

Test(descriptor, kept_high_so_the_next_open_gets_the_lowest_number) {
  int low = open("/dev/null", O_RDONLY);
  cr_assert_geq(low, 0);
  int kept = snare_descriptor_keep(low);
  struct rlimit limit;
  cr_assert_eq(getrlimit(RLIMIT_NOFILE, &limit), 0);
  rlim_t top = limit.rlim_cur < 4096 ? limit.rlim_cur : 4096;
  cr_assert_geq((rlim_t)kept, top - 64, "kept at %d, below %d", kept,
                (int)(top - 64));
  cr_assert_eq(fcntl(kept, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
  cr_assert_eq(fcntl(low, F_GETFD), -1, "the low number is given back");
  int next = open("/dev/null", O_RDONLY);
  cr_assert_eq(next, low, "the program's next open gets %d, not %d", low, next);
  close(next);
  close(kept);
}

Test(descriptor, stays_where_it_is_when_the_limit_leaves_no_room_above) {
  struct rlimit saved;
  cr_assert_eq(getrlimit(RLIMIT_NOFILE, &saved), 0);
  struct rlimit tight = {.rlim_cur = 32, .rlim_max = saved.rlim_max};
  cr_assert_eq(setrlimit(RLIMIT_NOFILE, &tight), 0);
  int fd = open("/dev/null", O_RDONLY);
  int kept = snare_descriptor_keep(fd);
  cr_assert_eq(setrlimit(RLIMIT_NOFILE, &saved), 0);
  cr_assert_eq(kept, fd);
  cr_assert_neq(fcntl(fd, F_GETFD), -1, "still open");
  close(fd);
}

Test(descriptor, a_failed_open_stays_failed) {
  cr_assert_eq(snare_descriptor_keep(-1), -1);
}
