// SPDX-License-Identifier: Apache-2.0
// The function finder on the shapes of C++ the product code uses: namespaces, extern "C",
// class bodies with inline methods, member-initialiser lists, trailing return types, lambdas,
// braced initialisers and tables.
#include "tests/layout/function_finder.h"

#include <catch2/catch.hpp>

using namespace cspwatch::layout;

namespace {

// "name@line:lines" for each function found, in order.
std::vector<std::string> functions(const std::string& source) {
  std::vector<std::string> out;
  for (const FunctionSpan& f : findFunctions(lex(source))) {
    out.push_back(f.name + "@" + std::to_string(f.line) + ":" + std::to_string(f.lines));
  }
  return out;
}

}  // namespace

TEST_CASE("functions at namespace scope, in extern C blocks and in classes are found") {
  CHECK(functions(R"src(namespace a {
namespace {
int f(int x) {
  return x;
}
}  // namespace
void S::k() {}
auto h() -> std::vector<int> {
  return {};
}
template <typename T = int>
T t(T x) noexcept(true) {
  return x;
}
}  // namespace a
extern "C" {
int c_api(void) {
  return 0;
}
}
extern "C" int LLVMFuzzerTestOneInput(const unsigned char* data, unsigned long size) {
  return 0;
}
)src") == std::vector<std::string>{"f@3:3", "S::k@7:1", "h@8:3", "t@12:3", "c_api@17:3",
                                   "LLVMFuzzerTestOneInput@21:3"});
}

TEST_CASE("inline methods, constructors with member-initialiser lists and operators") {
  CHECK(functions(R"src(class [[nodiscard]] Store final : public Base {
 public:
  Store(int a, int b) : a_(a), b_{b}, c_{std::vector<int>{1, 2}} {
    start();
  }
  ~Store() {}
  int a() const { return a_; }
  bool operator==(const Store& o) const noexcept {
    return a_ == o.a_;
  }
  bool operator()(int x) & { return x > 0; }
  struct Inner {
    void m() {
    }
  };

 private:
  int a_ = 0;
  int b_{0};
  std::vector<int> c_ = {1, 2, 3};
};
template <class T>
struct Box {
  T get() { return t; }
};
)src") == std::vector<std::string>{"Store::Store@3:3", "Store::~Store@6:1", "Store::a@7:1",
                                   "Store::operator==@8:3", "Store::operator()@11:1",
                                   "Store::Inner::m@13:2", "Box::get@24:1"});
}

TEST_CASE("operator-> and a lambda in a member-initialiser list keep the methods after them") {
  CHECK(functions(R"src(class Proxy {
 public:
  Proxy(int port)
      : port_(port),
        acceptor_([this] { acceptLoop(); }) {}
  const T* operator->() const { return &t_; }
  T* operator->() { return &t_; }
  int port() const { return port_; }
};
)src") == std::vector<std::string>{"Proxy::Proxy@3:1", "Proxy::operator->@6:1",
                                   "Proxy::operator->@7:1", "Proxy::port@8:1"});
}

TEST_CASE("braces inside raw strings, strings and character literals are not counted") {
  CHECK(functions(R"src(void f() {
  const char* a = R"x(  {{ } ") { )x";
  const char* b = "// {";
  char c = '{';
  char d = '\'';  // {
}
void g() {
}
)src") == std::vector<std::string>{"f@1:6", "g@7:2"});
}

TEST_CASE("lambdas are part of the function that holds them") {
  CHECK(functions(R"src(void f() {
  auto l = [](int x) {
    return x;
  };
  std::sort(v.begin(), v.end(), [&](int a, int b) -> bool {
    return a < b;
  });
  run([] {
  });
}
)src") == std::vector<std::string>{"f@1:10"});
}

TEST_CASE("braced initialisers and enums at namespace or class scope are data") {
  CHECK(functions(R"src(const int kTable[] = {
  1, 2,
};
std::vector<int> v{1, 2};
enum class E : int { kA, kB };
struct P { int a; } kP = {1};
void take(std::vector<int> v = {}, int n = int{3}) {
}
TEST_CASE("a test") {
  SECTION("one") {
  }
}
const Registry kRegistry = build([](int a) {
  return a;
});
)src") == std::vector<std::string>{"take@7:2", "TEST_CASE@9:4"});
}

TEST_CASE("a function that is mostly a braced table is a data table") {
  const std::vector<FunctionSpan> found = findFunctions(lex(R"src(std::vector<Row> rows() {
  return {
      {"a", 1},
      {"b", 2},
      {"c", 3},
      {"d", 4},
      {"e", 5},
      {"f", 6},
  };
}
int code(int x) {
  const int k[] = {1, 2};
  if (x > 0) {
    x += k[0];
  }
  for (int i = 0; i < x; ++i) {
    x -= k[1];
  }
  return x;
}
void registerAll(Registry& r) {
  r.add("x", {
                 {"a", 1},
                 {"b", 2},
                 {"c", 3},
                 {"d", 4},
             });
}
)src"));
  REQUIRE(found.size() == 3);
  CHECK(found[0].lines == 10);
  CHECK(found[0].dataLines == 8);
  CHECK(found[0].isDataTable());
  CHECK(found[1].lines == 10);
  CHECK(found[1].dataLines == 1);
  CHECK_FALSE(found[1].isDataTable());
  CHECK(found[2].lines == 8);
  CHECK(found[2].dataLines == 6);
  CHECK(found[2].isDataTable());
}

TEST_CASE("unbalanced braces end the function at the end of the file") {
  CHECK(functions("void f() {\n  if (x) {\n}\n") == std::vector<std::string>{"f@1:3"});
  CHECK(functions("}\n} void g() {}\n") == std::vector<std::string>{"g@2:1"});
}
