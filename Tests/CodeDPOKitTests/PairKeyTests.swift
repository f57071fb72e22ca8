import Foundation
import XCTest

@testable import CodeDPOKit

/// The pair key's fast path over ASCII bytes gives the same key as the Character path.
final class PairKeyTests: XCTestCase {
    func testTheByteKeyEqualsTheCharacterKey() {
        let samples = [
            "def f(x):\n    return x  # the same\n",
            "def f(x):\n\treturn x\n\n\n",
            "s = \"a # not a comment\"  # but this is\nt = 'b' # and this\n",
            "x\u{0B}=\u{0C}1\n   \n#only a comment\n",
            "",
            "\n\n",
            "a=1#c\nb = 2 #d",
        ]
        for code in samples {
            XCTAssertEqual(PairRules.asciiKey(Array(code.utf8)), PairRules.characterKey(code), "\(code.debugDescription)")
        }
        // Non-ASCII or CRLF code takes the Character path.
        XCTAssertEqual(PairRules.key("x = 'é'  # c\r\ny = 2\r\n"), PairRules.characterKey("x = 'é'  # c\r\ny = 2\r\n"))
        XCTAssertEqual(PairRules.key("def f():\n    return 1 # one\n"), "deff():\nreturn1\n")
    }
}
