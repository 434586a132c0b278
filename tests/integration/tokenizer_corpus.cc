#include "tokenizer_corpus.h"

#include <fmt/format.h>

#include <array>
#include <fstream>
#include <functional>
#include <string_view>

#include <boost/json.hpp>

#include "tokenfab/base/random.h"
#include "tokenizer_corpus_material.h"

namespace tokenfab::tokenizer {
namespace {

using corpus_material::kCjkPunctuation;
using corpus_material::kCodeLines;
using corpus_material::kCombining;
using corpus_material::kContractions;
using corpus_material::kDigitSets;
using corpus_material::kEmojiSequences;
using corpus_material::kHanzi;
using corpus_material::kIdentifiers;
using corpus_material::kJapanesePunctuation;
using corpus_material::kPunctuation;
using corpus_material::kRecentRanges;
using corpus_material::kScripts;
using corpus_material::kSpecialTexts;
using corpus_material::kWhitespace;
using corpus_material::kWords;
using corpus_material::kZeroWidth;

void AppendCodepoint(char32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

// The i-th UTF-8 character of `s` (which holds only whole characters).
std::string_view NthChar(std::string_view s, size_t i) {
  size_t pos = 0;
  while (true) {
    size_t len = 1;
    const auto b = static_cast<uint8_t>(s[pos]);
    if (b >= 0xF0) {
      len = 4;
    } else if (b >= 0xE0) {
      len = 3;
    } else if (b >= 0xC0) {
      len = 2;
    }
    if (i-- == 0) return s.substr(pos, len);
    pos += len;
  }
}

size_t CountChars(std::string_view s) {
  size_t n = 0;
  for (char c : s) n += (static_cast<uint8_t>(c) & 0xC0) != 0x80;
  return n;
}

class Generator {
 public:
  explicit Generator(uint64_t seed) : random_(seed) {}

  size_t Below(size_t n) { return static_cast<size_t>(random_.Below(n)); }
  bool Chance(double p) { return random_.Uniform() < p; }
  template <typename T, size_t N>
  const T& Pick(const T (&items)[N]) {
    return items[Below(N)];
  }
  std::string_view PickChar(std::string_view chars) {
    return NthChar(chars, Below(CountChars(chars)));
  }

  std::string English() {
    std::string s;
    const size_t sentences = 1 + Below(4);
    for (size_t k = 0; k < sentences; ++k) {
      const size_t words = 3 + Below(15);
      for (size_t w = 0; w < words; ++w) {
        if (w > 0) s += Chance(0.03) ? "  " : " ";
        std::string word(Chance(0.12) ? Pick(kContractions) : Pick(kWords));
        if (w == 0 && word[0] >= 'a' && word[0] <= 'z') word[0] = static_cast<char>(word[0] - 32);
        if (Chance(0.03)) {
          for (char& c : word) c = (c >= 'a' && c <= 'z') ? static_cast<char>(c - 32) : c;
        }
        if (Chance(0.05)) word = "\"" + word + "\"";
        if (Chance(0.04)) word += std::to_string(Below(3000));
        s += word;
        if (Chance(0.08)) s += Pick(kPunctuation);
      }
      s += Pick({".", ".", ".", "!", "?", "...", ":"});
      if (k + 1 < sentences) s += Chance(0.2) ? "\n" : " ";
    }
    return s;
  }

  std::string Chinese() {
    std::string s;
    const size_t n = 4 + Below(60);
    for (size_t i = 0; i < n; ++i) {
      if (Chance(0.1)) {
        s += Pick(kCjkPunctuation);
      } else if (Chance(0.03)) {
        s += Chance(0.5) ? std::to_string(Below(10000)) : std::string(" GPU ");
      } else {
        s += PickChar(kHanzi);
      }
    }
    return s;
  }

  std::string Japanese() {
    std::string s;
    const size_t n = 4 + Below(50);
    for (size_t i = 0; i < n; ++i) {
      const size_t kind = Below(10);
      if (kind < 4) {
        AppendCodepoint(0x3041 + static_cast<char32_t>(Below(0x3096 - 0x3041 + 1)), &s);
      } else if (kind < 6) {
        AppendCodepoint(0x30A1 + static_cast<char32_t>(Below(0x30FA - 0x30A1 + 1)), &s);
      } else if (kind < 9) {
        s += PickChar(kHanzi);
      } else {
        s += Pick(kJapanesePunctuation);
      }
    }
    return s;
  }

  std::string Code() {
    std::string s;
    const size_t lines = 1 + Below(8);
    for (size_t l = 0; l < lines; ++l) {
      const size_t indent = Below(4);
      const bool tabs = Chance(0.25);
      for (size_t d = 0; d < indent; ++d) s += tabs ? "\t" : (Chance(0.5) ? "    " : "  ");
      if (Chance(0.6)) {
        s += Pick(kCodeLines);
      } else {
        s += Pick(kIdentifiers);
        s += Pick({" = ", "(", ".", "->", "::", " += ", "[", " == ", ", "});
        s += Pick(kIdentifiers);
        s += Pick({");", "];", ";", ")", " {", "", ":"});
      }
      if (Chance(0.1)) s += "   ";
      if (l + 1 < lines) s += Chance(0.15) ? "\r\n" : (Chance(0.15) ? "\n\n" : "\n");
    }
    return s;
  }

  std::string Emoji() {
    std::string s;
    const size_t n = 1 + Below(12);
    for (size_t i = 0; i < n; ++i) {
      const size_t kind = Below(10);
      if (kind < 4) {
        s += Pick(kEmojiSequences);
      } else if (kind < 7) {
        static constexpr std::pair<char32_t, char32_t> kBlocks[] = {
            {0x1F300, 0x1F5FF}, {0x1F600, 0x1F64F}, {0x1F680, 0x1F6FF}, {0x1F900, 0x1F9FF},
            {0x2600, 0x26FF},   {0x2700, 0x27BF},   {0x1FA70, 0x1FAFF}};
        const auto& [lo, hi] = kBlocks[Below(std::size(kBlocks))];
        AppendCodepoint(lo + static_cast<char32_t>(Below(hi - lo + 1)), &s);
        if (Chance(0.2)) AppendCodepoint(0x1F3FB + static_cast<char32_t>(Below(5)), &s);
        if (Chance(0.2)) s += "\uFE0F";
        if (Chance(0.15)) s += "\u200D";
      } else {
        s += Pick(kWords);
      }
      if (Chance(0.5)) s += " ";
    }
    return s;
  }

  std::string Numbers() {
    std::string s;
    const size_t n = 1 + Below(6);
    for (size_t i = 0; i < n; ++i) {
      switch (Below(9)) {
        case 0:
        case 1: {
          const size_t digits = 1 + Below(Chance(0.2) ? 40 : 9);
          for (size_t d = 0; d < digits; ++d) s.push_back(static_cast<char>('0' + Below(10)));
          break;
        }
        case 2:
          s += fmt::format("{}.{:02d}", Below(100000), Below(100));
          break;
        case 3:
          s += fmt::format("{},{:03d},{:03d}", 1 + Below(999), Below(1000), Below(1000));
          break;
        case 4:
          s += fmt::format("+86 {:03d}-{:04d}-{:04d}", Below(1000), Below(10000), Below(10000));
          break;
        case 5:
          s += fmt::format("{}-{:02d}-{:02d}T{:02d}:{:02d}:{:02d}Z", 1990 + Below(40),
                           1 + Below(12), 1 + Below(28), Below(24), Below(60), Below(60));
          break;
        case 6:
          s += fmt::format("{}{}e{}{}", Chance(0.5) ? "-" : "", Below(1000), Chance(0.5) ? "-" : "",
                           Below(30));
          break;
        default: {
          const std::string_view set = Pick(kDigitSets);
          const size_t digits = 1 + Below(8);
          for (size_t d = 0; d < digits; ++d) s += PickChar(set);
          break;
        }
      }
      s += Pick({" ", " ", "", "%", " USD ", "元", "¥", "$", "€ ", ", ", "x", "th "});
    }
    return s;
  }

  std::string Whitespace() {
    std::string s;
    const size_t n = 1 + Below(8);
    if (Chance(0.3)) s += Pick(kWhitespace);
    for (size_t i = 0; i < n; ++i) {
      if (Chance(0.6)) s += Pick(kWords);
      if (Chance(0.2)) s += std::to_string(Below(100));
      if (Chance(0.1)) s += Pick(kPunctuation);
      const size_t runs = 1 + Below(3);
      for (size_t r = 0; r < runs; ++r) s += Pick(kWhitespace);
      if (Chance(0.05)) s += std::string(1 + Below(40), Chance(0.5) ? ' ' : '\n');
    }
    return s;
  }

  std::string ZeroWidth() {
    std::string s;
    const size_t n = 1 + Below(8);
    for (size_t i = 0; i < n; ++i) {
      if (Chance(0.5)) s += Pick(kZeroWidth);
      if (Chance(0.3)) s += " ";
      if (Chance(0.7)) s += Pick(kWords);
      if (Chance(0.3)) s += Pick(kZeroWidth);
      if (Chance(0.2)) s += Pick(kWhitespace);
      if (Chance(0.1)) s += std::to_string(Below(1000));
    }
    return s;
  }

  std::string Multilingual() {
    std::string s;
    const size_t n = 1 + Below(5);
    for (size_t i = 0; i < n; ++i) {
      if (Chance(0.5)) {
        s += Pick(kScripts);
      } else {
        const size_t k = 1 + Below(6);
        for (size_t j = 0; j < k; ++j) s += Pick(kCombining);
      }
      s += Pick({" ", " ", "\n", "", ", ", "'s ", "'S ", "'ſ "});
    }
    return s;
  }

  std::string Apostrophes() {
    static constexpr std::string_view kPieces[] = {
        "'s",   "'t",  "'re", "'ve", "'m",  "'ll", "'d", "'S",      "'T",   "'RE",  "'Ve", "'M",
        "'LL",  "'lL", "'D",  "'ſ",  "'ſt", "''",  "'",  "' s",     "’s",   "'x",   "'sa", "'llama",
        "'123", "' ",  "'\n", "'é",  "'ß",  "'İ",  "'K", "'\u212A", "'ll'", "'re'", "'S'", "'''",
    };
    std::string s;
    const size_t n = 1 + Below(10);
    for (size_t i = 0; i < n; ++i) {
      if (Chance(0.5)) s += Pick(kWords);
      s += Pick(kPieces);
      if (Chance(0.5)) s += Pick({" ", "", "\n", "  ", "1", ".", "\t"});
    }
    return s;
  }

  std::string SpecialTexts() {
    std::string s;
    const size_t n = 1 + Below(5);
    for (size_t i = 0; i < n; ++i) {
      if (Chance(0.5)) s += Pick(kWords);
      if (Chance(0.5)) s += Pick({" ", "\n", ""});
      s += Pick(kSpecialTexts);
      if (Chance(0.5)) s += Pick({" ", "\n", "", "user\n", "assistant"});
    }
    return s;
  }

  char32_t RandomCodepoint() {
    while (true) {
      char32_t cp = 0;
      switch (Below(6)) {
        case 0:
          cp = static_cast<char32_t>(Below(0x110000));
          break;
        case 1:
        case 2:
          cp = static_cast<char32_t>(Below(0x10000));
          break;
        case 3:
          cp = 0x10000 + static_cast<char32_t>(Below(0x20000));
          break;
        case 4:
          cp = static_cast<char32_t>(Below(0x800));
          break;
        default: {
          static constexpr char32_t kEdges[] = {0x0,    0x1F,   0x7F,    0x80,     0x9F,
                                                0xFFFE, 0xFFFF, 0x1FFFF, 0x10FFFF, 0xE000,
                                                0xF8FF, 0xFFFD, 0xF0000, 0x10FFFD};
          cp = kEdges[Below(std::size(kEdges))];
        }
      }
      if (cp < 0xD800 || cp > 0xDFFF) return cp;
    }
  }

  std::string RandomCodepoints() {
    std::string s;
    const size_t n = 1 + Below(30);
    for (size_t i = 0; i < n; ++i) {
      if (Chance(0.15)) s += Pick({" ", "a", "Z", "1", "'", "\n", "  ", "x "});
      AppendCodepoint(RandomCodepoint(), &s);
    }
    return s;
  }

  std::string RecentUnicode() {
    std::string s;
    const size_t n = 1 + Below(12);
    for (size_t i = 0; i < n; ++i) {
      const auto& [lo, hi] = kRecentRanges[Below(kRecentRanges.size())];
      if (Chance(0.3)) s += Pick({" ", "a", "1", "'s", "x", " 2", "\n"});
      AppendCodepoint(lo + static_cast<char32_t>(Below(hi - lo + 1)), &s);
    }
    return s;
  }

  std::string Invalid() {
    static constexpr std::string_view kBad[] = {
        "\x80",
        "\xBF",
        "\xC3",
        "\xC0\xAF",
        "\xC1\xBF",
        "\xE0\x80\xAF",
        "\xED\xA0\x80",
        "\xED\xBF\xBF",
        "\xF4\x90\x80\x80",
        "\xF5",
        "\xFF",
        "\xFE",
        "\xE4\xB8",
        "\xF0\x9F\x98",
        "\xF0\x9F",
        "\xE2\x82",
        "\xC2",
        "\x80\x80\x80",
        "\xF8\x88\x80\x80\x80",
    };
    std::string s;
    const size_t n = 1 + Below(6);
    for (size_t i = 0; i < n; ++i) {
      switch (Below(4)) {
        case 0:
          s += Pick(kWords);
          break;
        case 1:
          s += PickChar(kHanzi);
          break;
        case 2:
          s += Pick(kEmojiSequences);
          break;
        default:
          for (size_t k = Below(5); k > 0; --k) s.push_back(static_cast<char>(Below(256)));
      }
      s += Pick(kBad);
      if (Chance(0.4)) s += " ";
    }
    return s;
  }

  std::string Long() {
    std::string s;
    const size_t target = 2000 + Below(18000);
    const size_t kind = Below(7);
    while (s.size() < target) {
      switch (kind) {
        case 0:
          s.push_back(static_cast<char>('a' + Below(26)));
          break;
        case 1:
          s += PickChar(kHanzi);
          break;
        case 2:
          s.push_back(static_cast<char>('0' + Below(10)));
          break;
        case 3:
          s += Chance(0.95) ? " " : "\n";
          break;
        case 4:
          s += Pick(kEmojiSequences);
          break;
        case 5:
          s += Pick({"!", "?", "-", "=", "*", "#", "~", "."});
          break;
        default:
          s += English();
          s += "\n";
      }
    }
    return s;
  }

 private:
  base::Random random_;
};

struct Category {
  const char* name;
  size_t weight;  // lines per 1000
  std::string (Generator::*make)();
};

constexpr Category kCategories[] = {
    {"english", 120, &Generator::English},
    {"chinese", 80, &Generator::Chinese},
    {"japanese", 60, &Generator::Japanese},
    {"code", 100, &Generator::Code},
    {"emoji", 70, &Generator::Emoji},
    {"numbers", 80, &Generator::Numbers},
    {"whitespace", 80, &Generator::Whitespace},
    {"zero_width", 60, &Generator::ZeroWidth},
    {"multilingual", 80, &Generator::Multilingual},
    {"apostrophes", 40, &Generator::Apostrophes},
    {"special_text", 30, &Generator::SpecialTexts},
    {"random_codepoints", 80, &Generator::RandomCodepoints},
    {"recent_unicode", 30, &Generator::RecentUnicode},
    {"invalid_utf8", 50, &Generator::Invalid},
    {"long", 5, &Generator::Long},
};
constexpr size_t kMixedWeight = 35;  // 2 to 4 other categories joined

}  // namespace

bool WellFormedUtf8(std::string_view s) {
  size_t i = 0;
  const auto* p = reinterpret_cast<const uint8_t*>(s.data());
  while (i < s.size()) {
    const uint8_t b = p[i];
    size_t len = 0;
    uint8_t lo = 0x80, hi = 0xBF;
    if (b < 0x80) {
      ++i;
      continue;
    } else if (b >= 0xC2 && b <= 0xDF) {
      len = 2;
    } else if (b >= 0xE0 && b <= 0xEF) {
      len = 3;
      if (b == 0xE0) lo = 0xA0;
      if (b == 0xED) hi = 0x9F;
    } else if (b >= 0xF0 && b <= 0xF4) {
      len = 4;
      if (b == 0xF0) lo = 0x90;
      if (b == 0xF4) hi = 0x8F;
    } else {
      return false;
    }
    if (i + len > s.size() || p[i + 1] < lo || p[i + 1] > hi) return false;
    for (size_t k = 2; k < len; ++k) {
      if ((p[i + k] & 0xC0) != 0x80) return false;
    }
    i += len;
  }
  return true;
}

std::vector<CorpusEntry> BuildCorpus(uint64_t seed, size_t lines) {
  Generator gen(seed);
  size_t total_weight = kMixedWeight;
  for (const Category& c : kCategories) total_weight += c.weight;
  std::vector<CorpusEntry> corpus;
  corpus.reserve(lines);
  for (size_t i = 0; i < lines; ++i) {
    size_t pick = gen.Below(total_weight);
    CorpusEntry entry;
    for (const Category& c : kCategories) {
      if (pick < c.weight) {
        entry.category = c.name;
        entry.text = (gen.*c.make)();
        break;
      }
      pick -= c.weight;
    }
    if (entry.category.empty()) {
      entry.category = "mixed";
      for (size_t parts = 2 + gen.Below(3); parts > 0; --parts) {
        const Category& c = kCategories[gen.Below(std::size(kCategories) - 1)];  // not "long"
        entry.text += (gen.*c.make)();
        if (gen.Chance(0.5)) entry.text += gen.Chance(0.5) ? " " : "\n";
      }
    }
    corpus.push_back(std::move(entry));
  }
  return corpus;
}

Status WriteCorpus(const std::vector<CorpusEntry>& corpus, const std::string& path) {
  std::ofstream out(path, std::ios::binary);
  if (!out) return absl::UnavailableError(fmt::format("{}: cannot create", path));
  for (const CorpusEntry& entry : corpus) {
    boost::json::object line;
    line["category"] = entry.category;
    if (WellFormedUtf8(entry.text)) {
      line["text"] = entry.text;
    } else {
      std::string hex;
      for (char c : entry.text) hex += fmt::format("{:02x}", static_cast<uint8_t>(c));
      line["hex"] = hex;
    }
    out << boost::json::serialize(line) << '\n';
  }
  out.close();
  if (!out) return absl::UnavailableError(fmt::format("{}: write failed", path));
  return absl::OkStatus();
}

StatusOr<std::vector<CorpusEntry>> ReadCorpus(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(fmt::format("{}: cannot open", path));
  std::vector<CorpusEntry> corpus;
  std::string line;
  for (size_t number = 1; std::getline(in, line); ++number) {
    boost::system::error_code error;
    boost::json::value value = boost::json::parse(line, error);
    const boost::json::object* object = error ? nullptr : value.if_object();
    if (object == nullptr || !object->contains("category")) {
      return absl::InvalidArgumentError(fmt::format("{}:{}: not a corpus entry", path, number));
    }
    CorpusEntry entry;
    entry.category = std::string(object->at("category").as_string());
    if (const auto* text = object->if_contains("text"); text && text->is_string()) {
      entry.text = std::string(text->as_string());
    } else if (const auto* hex = object->if_contains("hex"); hex && hex->is_string()) {
      const std::string_view digits = hex->as_string();
      for (size_t k = 0; k + 1 < digits.size(); k += 2) {
        entry.text.push_back(
            static_cast<char>(std::stoi(std::string(digits.substr(k, 2)), nullptr, 16)));
      }
    } else {
      return absl::InvalidArgumentError(fmt::format("{}:{}: no text or hex", path, number));
    }
    corpus.push_back(std::move(entry));
  }
  return corpus;
}

}  // namespace tokenfab::tokenizer
