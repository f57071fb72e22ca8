import Foundation

/// A blocking queue with a capacity, for one producer thread and one consumer: the producer
/// waits when the consumer falls behind, so memory stays bounded.
final class BoundedQueue<Element>: @unchecked Sendable {
    // Popped slots are cleared at once, so a consumed element is freed when it is taken,
    // not when the array is next compacted.
    private var items: [Element?] = []
    private var head = 0
    private var closed = false
    private let capacity: Int
    private let condition = NSCondition()

    init(capacity: Int) { self.capacity = capacity }

    /// Blocks while full; returns false when the consumer has closed the queue.
    @discardableResult
    func push(_ item: Element) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while items.count - head >= capacity && !closed { condition.wait() }
        if closed { return false }
        items.append(item)
        condition.broadcast()
        return true
    }

    /// Blocks while empty; nil once closed and drained.
    func pop() -> Element? {
        condition.lock()
        defer { condition.unlock() }
        while items.count == head && !closed { condition.wait() }
        return take()
    }

    /// Like pop, but takes the first waiting element that `preferred` accepts. When none of
    /// those waits, it takes the head only if `orAny()` says so (read under the queue's lock:
    /// call `wake()` after changing what it reads), and otherwise waits for one; once closed, it
    /// drains the rest. A worker takes its own lane's jobs (Executor.lanes), and others' only
    /// when its lane has no more to come.
    func pop(preferring preferred: (Element) -> Bool, orAnyWhen orAny: () -> Bool) -> Element? {
        condition.lock()
        defer { condition.unlock() }
        while true {
            if let at = items[head...].firstIndex(where: { $0.map(preferred) ?? false }) {
                if at == head { return take() }
                let item = items.remove(at: at)
                condition.broadcast()
                return item
            }
            if closed || (items.count > head && orAny()) { return take() }
            condition.wait()
        }
    }

    /// Wakes every waiting pop, to look again (see pop(preferring:orAnyWhen:)).
    func wake() {
        condition.lock()
        condition.broadcast()
        condition.unlock()
    }

    /// Removes the head (the lock is held): its slot is cleared at once, and the array is
    /// compacted now and then.
    private func take() -> Element? {
        guard items.count > head, let item = items[head] else { return nil }
        items[head] = nil
        head += 1
        if head > 64 && head * 2 > items.count {
            items.removeFirst(head)
            head = 0
        }
        condition.broadcast()
        return item
    }

    /// Like pop, but gives up after `timeout` seconds: `.timedOut` lets the consumer look
    /// at other things (a stop request, progress) while waiting.
    enum Popped { case item(Element), closed, timedOut }

    func pop(timeout: TimeInterval) -> Popped {
        condition.lock()
        defer { condition.unlock() }
        let deadline = Date(timeIntervalSinceNow: timeout)
        while items.count == head && !closed {
            if !condition.wait(until: deadline) { return .timedOut }
        }
        return take().map { .item($0) } ?? .closed
    }

    func close() {
        condition.lock()
        closed = true
        condition.broadcast()
        condition.unlock()
    }
}
