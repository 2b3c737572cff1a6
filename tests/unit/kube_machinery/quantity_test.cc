#include "kube/machinery/quantity.h"

#include <gtest/gtest.h>

#include <string>

// Expected values follow k8s.io/apimachinery resource.Quantity (ParseQuantity, then the
// canonical form CanonicalizeBytes prints); many cases come from its documented examples.

namespace ferry::kube {
namespace {

std::string canon(std::string_view text) { return canonical_quantity(text).value_or("<invalid>"); }

TEST(QuantityTest, CommonResourceValues) {
  EXPECT_EQ(canon("1"), "1");
  EXPECT_EQ(canon("0"), "0");
  EXPECT_EQ(canon("100m"), "100m");
  EXPECT_EQ(canon("1000m"), "1");
  EXPECT_EQ(canon("1500m"), "1500m");
  EXPECT_EQ(canon("0.5"), "500m");
  EXPECT_EQ(canon("0.1"), "100m");
  EXPECT_EQ(canon("1.5"), "1500m");
  EXPECT_EQ(canon("2000000"), "2M");
  EXPECT_EQ(canon("100M"), "100M");
  EXPECT_EQ(canon("1000M"), "1G");
  EXPECT_EQ(canon("128974848"), "128974848");
  EXPECT_EQ(canon("129e6"), "129e6");
  EXPECT_EQ(canon("129M"), "129M");
  EXPECT_EQ(canon("500Mi"), "500Mi");
  EXPECT_EQ(canon("1024Mi"), "1Gi");
  EXPECT_EQ(canon("1.5Gi"), "1536Mi");
  EXPECT_EQ(canon("1536Ki"), "1536Ki");
  EXPECT_EQ(canon("0.5Gi"), "512Mi");
}

TEST(QuantityTest, SignIsDroppedUnlessNegative) {
  EXPECT_EQ(canon("+1"), "1");
  EXPECT_EQ(canon("-1"), "-1");
  EXPECT_EQ(canon("+1Gi"), "1Gi");
  EXPECT_EQ(canon("-1024Mi"), "-1Gi");
  EXPECT_EQ(canon("-1.5"), "-1500m");
  EXPECT_EQ(canon("-0"), "0");
  EXPECT_EQ(canon("-0.0Ki"), "0");
}

TEST(QuantityTest, LeadingAndTrailingZerosDoNotMatter) {
  EXPECT_EQ(canon("007"), "7");
  EXPECT_EQ(canon("01Ki"), "1Ki");
  EXPECT_EQ(canon("1.0"), "1");
  EXPECT_EQ(canon("1.500"), "1500m");
  EXPECT_EQ(canon("0.50000"), "500m");
  EXPECT_EQ(canon("0.00500"), "5m");
  EXPECT_EQ(canon("0m"), "0");
  EXPECT_EQ(canon("0Ti"), "0");
}

TEST(QuantityTest, DecimalSuffixesUseTheLargestWholeUnit) {
  EXPECT_EQ(canon("1000u"), "1m");
  EXPECT_EQ(canon("1080000000n"), "1080m");
  EXPECT_EQ(canon("1.08"), "1080m");
  EXPECT_EQ(canon("0.001T"), "1G");
  EXPECT_EQ(canon("50k"), "50k");
  EXPECT_EQ(canon("8.1k"), "8100");
  EXPECT_EQ(canon("100.035k"), "100035");
  EXPECT_EQ(canon("10.035M"), "10035k");
  EXPECT_EQ(canon("7.123456M"), "7123456");
  EXPECT_EQ(canon("40.1T"), "40100G");
  EXPECT_EQ(canon("2.5P"), "2500T");
  EXPECT_EQ(canon("1.01E"), "1010P");
  EXPECT_EQ(canon("12E"), "12E");
  EXPECT_EQ(canon("5n"), "5n");
  EXPECT_EQ(canon("4u"), "4u");
}

TEST(QuantityTest, BinaryStaysBinaryOnlyWhenWholeAndAtLeast1024) {
  EXPECT_EQ(canon("1Ki"), "1Ki");
  EXPECT_EQ(canon("307200Ki"), "300Mi");
  EXPECT_EQ(canon("1025024Mi"), "1001Gi");
  EXPECT_EQ(canon("1024Gi"), "1Ti");
  EXPECT_EQ(canon("1024Ti"), "1Pi");
  EXPECT_EQ(canon("1024Pi"), "1Ei");
  EXPECT_EQ(canon("7Ei"), "7Ei");
  EXPECT_EQ(canon("0.5Ki"), "512");  // below 1024: printed as decimal SI
  EXPECT_EQ(canon("2.5Ki"), "2560");
  EXPECT_EQ(canon("100.035Ki"), "102435840m");  // not whole: decimal SI
  EXPECT_EQ(canon(".001Ki"), "1024m");
  EXPECT_EQ(canon(".000001Ki"), "1024u");
  EXPECT_EQ(canon(".000000001Ki"), "1024n");
  EXPECT_EQ(canon("-.001Ki"), "-1024m");
}

TEST(QuantityTest, ExponentFormKeepsExponents) {
  // The format family survives: Kubernetes prints 1e3 back as "1e3", never as "1k".
  EXPECT_EQ(canon("1e3"), "1e3");
  EXPECT_EQ(canon("1E3"), "1e3");
  EXPECT_EQ(canon("1E6"), "1e6");
  EXPECT_EQ(canon("1e14"), "100e12");
  EXPECT_EQ(canon("1.2e3"), "1200");
  EXPECT_EQ(canon("1.3E+6"), "1300e3");
  EXPECT_EQ(canon("1E-3"), "1e-3");
  EXPECT_EQ(canon(".001e12"), "1e9");
  EXPECT_EQ(canon("0.001e0"), "1e-3");
  EXPECT_EQ(canon("1000e-12"), "1e-9");
  EXPECT_EQ(canon("80e-3"), "80e-3");
  EXPECT_EQ(canon("0.5e0"), "500e-3");
  EXPECT_EQ(canon("1e0"), "1");
  EXPECT_EQ(canon("1e+09"), "1e9");
}

TEST(QuantityTest, PrecisionBelowNanoRoundsAwayFromZero) {
  EXPECT_EQ(canon("3.001n"), "4n");
  EXPECT_EQ(canon("0.9n"), "1n");
  EXPECT_EQ(canon("0.0000000001"), "1n");
  EXPECT_EQ(canon("0.00000012345"), "124n");
  EXPECT_EQ(canon("1.1E-9"), "2e-9");
  EXPECT_EQ(canon("0.5e-9"), "1e-9");
  EXPECT_EQ(canon("1e-2147483647"), "1e-9");
  EXPECT_EQ(canon(".000000000001Ki"), "2n");
  EXPECT_EQ(canon("-0.0000000001"), "-1n");
}

TEST(QuantityTest, LargeValues) {
  // Binary quantities are capped at 2^63-1; decimal ones are not.
  EXPECT_EQ(canon("9Ei"), "9223372036854775807");
  EXPECT_EQ(canon("8Ei"), "9223372036854775807");
  EXPECT_EQ(canon("-9Ei"), "-9223372036854775807");
  EXPECT_EQ(canon("9223372036854775807Ki"), "9223372036854775807");
  EXPECT_EQ(canon("12345678901234567890000"), "12345678901234567890k");
  EXPECT_EQ(canon("1000E"), "1e21");  // no decimal SI suffix beyond E
  EXPECT_EQ(canon("1e21"), "1e21");
  EXPECT_EQ(canon("1e2147483647"), "10e2147483646");
}

TEST(QuantityTest, DigitlessNumbersReadAsZeroLikeKubernetes) {
  // Kubernetes' scanner treats a missing number as 0; the suffix must still be valid.
  EXPECT_EQ(canon("."), "0");
  EXPECT_EQ(canon("-."), "0");
  EXPECT_EQ(canon("Mi"), "0");
  EXPECT_EQ(canon("1."), "1");
  EXPECT_EQ(canon("1.G"), "1G");
}

TEST(QuantityTest, InvalidInputs) {
  for (const char* text :
       {"",      "1.2.3", "1 Gi", "1iB",   " 1",     "1 ",      "1.1.M",        "1+1.0M", "0.1mi",
        "0.1am", "aoeu",  ".5i",  "1i",    "-3.01i", "-3.01e-", "1e4294967297", "1K",     "1e",
        "1KiB",  "1Gb",   "--1",  "1e3.5", "1e3k",   "0x10",    "1m3",          "1Mi1"}) {
    EXPECT_EQ(canonical_quantity(text), std::nullopt) << '"' << text << '"';
  }
}

TEST(QuantityTest, CanonicalFormIsAFixedPoint) {
  for (const char* text : {"1", "500m", "1Gi", "1536Mi", "2M", "1e3", "-1500m", "124n", "1e21",
                           "9223372036854775807", "102435840m", "100e12"}) {
    EXPECT_EQ(canon(text), text);
  }
}

}  // namespace
}  // namespace ferry::kube
