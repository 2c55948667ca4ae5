/* shop.c - the example library with structs, strings and nested calls:
   examples/stepping.lua and examples/variables.lua stop in it, step
   through it and read its variables. */
#include <string.h>

#define SHOP_API __attribute__((noinline, visibility("default")))

enum category { FRUIT, TOOL, BOOK };

struct item {
  const char *name;
  enum category kind;
  int price; /* cents */
  int stock;
};

static struct item items[] = {
    {"apple", FRUIT, 40, 12},
    {"hammer", TOOL, 1500, 3},
    {"atlas", BOOK, 2500, 1},
};

SHOP_API int discount(int price, int percent)
{
  int off = price * percent / 100;
  return price - off;
}

SHOP_API int line_total(struct item item, int quantity)
{
  int unit = item.price;
  if (item.kind == TOOL)
    unit = discount(unit, 10);
  return unit * quantity;
}

/* The price of quantity items called name, in cents; -1 when there are
   not enough, -2 for an unknown name. */
SHOP_API int order(const char *name, int quantity)
{
  for (unsigned i = 0; i < sizeof items / sizeof items[0]; i++) {
    const struct item *item = &items[i];
    if (strcmp(item->name, name) == 0) {
      if (item->stock < quantity)
        return -1;
      return line_total(*item, quantity);
    }
  }
  return -2;
}

/* Failures for examples/faults.lua: each is a different signal. */
SHOP_API int restock(struct item *item, int count)
{
  item->stock += count; /* NULL item: SIGSEGV */
  return item->stock;
}

SHOP_API int average_price(int total, int count)
{
  return total / count; /* count 0: SIGFPE */
}
