import XCTest

@testable import CodeDPOKit

final class SHA256Tests: XCTestCase {
    func testKnownVectors() {
        XCTAssertEqual(SHA256.hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        XCTAssertEqual(SHA256.hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        XCTAssertEqual(SHA256.hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
                       "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        XCTAssertEqual(SHA256.hex(String(repeating: "a", count: 1_000_000)),
                       "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    func testIncrementalUpdatesEqualOneShot() {
        let text = String(repeating: "the quick brown fox ", count: 37)
        var hasher = SHA256()
        for chunk in stride(from: 0, to: text.utf8.count, by: 13) {
            let bytes = Array(text.utf8)[chunk..<min(chunk + 13, text.utf8.count)]
            hasher.update(Array(bytes))
        }
        XCTAssertEqual(SHA256.hexString(hasher.finalize()), SHA256.hex(text))
    }
}

final class JSONTests: XCTestCase {
    func testParsesAndWritesRoundTrip() throws {
        let text = #"{"a":1,"b":[true,false,null],"c":"x\"y\\z\n\u00e9\ud83e\udd86","d":-2.5e3,"e":{}}"#
        let value = try JSON.parse(text)
        XCTAssertEqual(value["a"], .int(1))
        XCTAssertEqual(value["c"], .string("x\"y\\z\né🦆"))
        XCTAssertEqual(value["d"], .double(-2500))
        XCTAssertEqual(try JSON.parse(value.text), value)
        XCTAssertEqual(try JSON.parse(value.prettyText), value)
        XCTAssertEqual(JSON.object([("k", "v"), ("n", 3)]).text, #"{"k":"v","n":3}"#)
    }

    func testErrorsNameTheColumn() {
        XCTAssertThrowsError(try JSON.parse(#"{"a": 1,}"#)) { error in
            XCTAssertEqual((error as? JSONParseError)?.column, 9)
        }
        for bad in ["", "{", #"{"a" 1}"#, "[1,]", "tru", #""\x""#, "01", "1.", "\"a\u{1}\"", #""\ud800""#, "{} x"] {
            XCTAssertThrowsError(try JSON.parse(bad), "accepted: \(bad)")
        }
    }

    func testDeepNestingIsAnErrorNotACrash() {
        XCTAssertThrowsError(try JSON.parse(String(repeating: "[", count: 100_000)))
    }
}

final class UTF8CheckTests: XCTestCase {
    func check(_ bytes: [UInt8]) -> Bool { bytes.withUnsafeBytes { UTF8Check.isValid($0) } }

    func testAgreesWithTheStandardLibrary() {
        let cases: [[UInt8]] = [
            Array("plain ascii, long enough for the fast path".utf8), Array("é日本🦆".utf8), [],
            [0xC3, 0x28], [0xE0, 0x80, 0xAF], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xF0, 0x9F, 0xA6],
            [0x80], [0xFF], Array("abcdefgh".utf8) + [0xC3], [0xC0, 0xAF],
        ]
        for bytes in cases {
            XCTAssertEqual(check(bytes), String(validating: bytes, as: UTF8.self) != nil, "\(bytes)")
        }
    }
}
