"""Typo index: the indexed keys within a few edits of a question word."""

from array import array
from collections import Counter
from collections.abc import Iterable

from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA

# Fewer shared trigrams than this is no resemblance worth checking, whatever the bound says.
MIN_SHARED_TRIGRAMS = 2
# Up to this many trigram postings in all, they are counted in plain Python: importing numpy
# would cost a cold `claimbot ask` more than the counting (a tenth of a second or more; the
# project's own events need at most about 250). Past it plain Python costs about half a
# microsecond a posting, numpy a tenth of a millisecond for a lookup and little more per
# posting: a misspelt word among a million aliases (30,000 postings) took 20-40 ms counted
# in plain Python, and at 2,000 postings plain Python took three times numpy's time.
PLAIN_COUNT = 400
# Bytes per key in the typo index's packed copy: all but a few keys in a thousand are shorter.
PACKED = 24
# From this many new keys at once (a rebuild), `extend` adds them with numpy, this many at
# a time.
BULK = 5_000


def _packable(key: str) -> bool:
    return key.isascii() and len(key) <= PACKED and "\0" not in key


def max_edits(length: int) -> int:
    """Typos tolerated in a word of this many letters (as typed, before folding)."""
    # A fifth of the word, rounded down: Kramatrosk is Kramatorsk, but Makarivka (two edits
    # from Makiivka) is another village, and "buch" is not "bach".
    return length // 5 if length < 15 else 2


def letter_mask(key: str) -> int:
    """The letters a key holds, one bit each (modulo 64).

    An edit changes at most two bits (a substitution drops one letter and brings another),
    so two keys whose masks differ in more than twice `n` bits are more than `n` edits apart:
    most keys sharing two trigrams with a word are ruled out by one XOR instead of an edit
    distance."""
    mask = 0
    for char in set(key):  # each letter once: a third of the time, over a build's millions
        mask |= 1 << (ord(char) & 63)
    return mask


class FuzzyIndex:
    """Keys by character trigram, for lookups within a small edit distance.

    Candidates are the keys sharing enough trigrams with the question word (counted with
    numpy over the trigrams' posting arrays in a large index), then verified by edit distance
    in rapidfuzz."""

    def __init__(self) -> None:
        self._keys: list[str] = []
        self._ids: dict[str, int] = {}
        self._lengths = array("B")
        self._masks = array("Q")  # letter_mask of each key
        # Each key again as PACKED bytes, NUL-padded (all NULs for a key that is not short
        # ASCII): a large index verifies its candidates from these rows.
        # Reading thousands of keys scattered over the heap as Python strings cost three times
        # the edit distances.
        self._packed = bytearray()
        self._grams: dict[str, array[int]] = {}

    @staticmethod
    def _trigrams(key: str) -> set[str]:
        padded = f"^{key}$"
        return {padded[i : i + 3] for i in range(len(padded) - 2)}

    def _counted(
        self, postings: list["array[int]"], shared: int, key: str, limit: int
    ) -> list[tuple[str, int]]:
        """The keys in at least `shared` of these postings that are within `limit` edits of
        `key`, with their distance, nearest first, then in key order; counted with numpy."""
        import numpy as np  # only large indexes need it (PLAIN_COUNT)

        ids = np.concatenate([np.frombuffer(posting, dtype=np.int32) for posting in postings])
        # A key is at most once in each posting: its run in the sorted ids is the number of
        # trigrams it shares, and a run of at least `shared` holds the same id `shared` - 1
        # places on. Sorting the postings touches only them; a count per key (bincount)
        # would sweep an array as long as the index on every lookup. Each posting is in key
        # order already, so a merging sort (timsort) does it in a third of quicksort's time.
        ids.sort(kind="stable")
        run = shared - 1
        ids = ids[run:][ids[run:] == ids[: max(len(ids) - run, 0)]]
        ids = ids[np.concatenate(([True], ids[1:] != ids[:-1]))] if len(ids) else ids
        # Each letter one word holds and the other lacks (a bit of one mask and not the
        # other's) takes an edit of its own: a substitution or deletion on one side, a
        # substitution or insertion on the other.
        lengths = np.frombuffer(self._lengths, dtype=np.uint8)[ids].astype(np.int16)
        masks = np.frombuffer(self._masks, dtype=np.uint64)[ids]
        mask = np.uint64(letter_mask(key))
        ids = ids[
            (np.abs(lengths - len(key)) <= limit)
            & (np.bitwise_count(masks & ~mask) <= limit)
            & (np.bitwise_count(mask & ~masks) <= limit)
        ]
        keys = self._keys
        if _packable(key):
            # A key that is not short ASCII has a row of NULs, and no key starts with NUL: one
            # byte a candidate tells them apart (numpy's set membership cost ten times more).
            fits = np.frombuffer(self._packed, dtype=np.uint8)[::PACKED][ids] != 0
            packed, strings = ids[fits], ids[~fits]
        else:
            packed, strings = ids[:0], ids
        found = [
            (distance, key_id)
            for key_id in strings.tolist()
            if (distance := OSA.distance(key, keys[key_id], score_cutoff=limit)) <= limit
        ]
        if len(packed):
            # On bytes: the same distances as on the strings, for ASCII keys.
            distances = process.cdist(
                [key.encode()],
                np.frombuffer(self._packed, dtype=f"S{PACKED}")[packed].tolist(),
                scorer=OSA.distance,
                score_cutoff=limit,
                dtype=np.int32,
            )[0]
            hits = np.flatnonzero(distances <= limit)
            found += zip(distances[hits].tolist(), packed[hits].tolist(), strict=True)
        return [(keys[key_id], distance) for distance, key_id in sorted(found)]

    def __contains__(self, key: str) -> bool:
        return key in self._ids

    def add(self, key: str) -> None:
        if key in self._ids:
            return
        key_id = self._ids[key] = len(self._keys)
        self._keys.append(key)
        self._lengths.append(min(len(key), 255))
        self._masks.append(letter_mask(key))
        if _packable(key):
            self._packed += key.encode().ljust(PACKED, b"\0")
        else:
            self._packed += bytes(PACKED)
        for gram in self._trigrams(key):
            posting = self._grams.get(gram)
            if posting is None:
                self._grams[gram] = array("i", (key_id,))
            else:
                posting.append(key_id)

    def extend(self, keys: Iterable[str]) -> None:
        """`add` each key; many at once (a rebuild's) with numpy, in a fifth of the time."""
        fresh = [key for key in dict.fromkeys(keys) if key not in self._ids]
        if len(fresh) < BULK:
            for key in fresh:
                self.add(key)
            return
        # In slices: numpy's temporaries for all of a million aliases' keys at once took 150
        # MB that the process kept after freeing them.
        for start in range(0, len(fresh), BULK):
            self._add_many(fresh[start : start + BULK])

    def _add_many(self, fresh: list[str]) -> None:
        """`add` these keys, none of them indexed yet, with numpy."""
        import numpy as np  # only large indexes need it (BULK)

        first = len(self._keys)
        for key_id, key in enumerate(fresh, first):
            self._ids[key] = key_id
        self._keys += fresh
        self._lengths.extend(min(len(key), 255) for key in fresh)
        packable = np.array([_packable(key) for key in fresh])
        packed = b"".join(
            key.encode().ljust(PACKED, b"\0") if fits else bytes(PACKED)
            for key, fits in zip(fresh, packable.tolist(), strict=True)
        )
        self._packed += packed
        rows = np.frombuffer(packed, dtype=np.uint8).reshape(len(fresh), PACKED)
        # letter_mask of each packed key: a bit for each byte but the padding.
        masks = np.zeros(len(fresh), dtype=np.uint64)
        for column in rows.T:
            bits = np.left_shift(np.uint64(1), (column & 63).astype(np.uint64))
            masks |= np.where(column != 0, bits, np.uint64(0))
        others = np.flatnonzero(~packable).tolist()
        for position in others:
            masks[position] = letter_mask(fresh[position])
        self._masks.frombytes(masks.tobytes())
        # Trigrams of packed keys as three bytes in an int, from "^key$" padded with NULs:
        # a key of n letters has n, the first n of its row.
        lengths = np.array([len(key) for key in fresh]) * packable
        padded = np.zeros((len(fresh), PACKED + 2), dtype=np.int32)
        padded[:, 0] = ord("^")
        padded[:, 1:-1] = rows
        padded[np.arange(len(fresh)), lengths + 1] = ord("$")
        grams = padded[:, :-2] << 16 | padded[:, 1:-1] << 8 | padded[:, 2:]
        held = np.arange(PACKED) < lengths[:, None]
        key_ids = np.broadcast_to(np.arange(first, first + len(fresh))[:, None], grams.shape)
        # Each trigram of a key once, and in each posting the keys in order, as `add` has it.
        pairs = np.unique(grams[held].astype(np.int64) << 32 | key_ids[held])
        codes, ids = pairs >> 32, (pairs & 0xFFFFFFFF).astype(np.int32)
        starts = np.flatnonzero(np.diff(codes, prepend=-1))
        # (Split, no ids still make one empty chunk, for no code: zip stops at the codes.)
        chunks = {
            chr(code >> 16) + chr(code >> 8 & 255) + chr(code & 255): chunk
            for code, chunk in zip(codes[starts].tolist(), np.split(ids, starts[1:]), strict=False)
        }
        for position in others:
            for gram in self._trigrams(fresh[position]):
                found = chunks.get(gram, np.empty(0, dtype=np.int32))
                chunks[gram] = np.sort(np.append(found, np.int32(first + position)))
        for gram, chunk in chunks.items():
            posting = self._grams.get(gram)
            if posting is None:
                posting = self._grams[gram] = array("i")
            posting.frombytes(chunk.tobytes())

    def _found(self, key: str, reach: int) -> list[tuple[str, int]]:
        """The keys within `reach` edits of `key` (optimal string alignment), with their
        distance, nearest first, then in key order. Candidates are those sharing enough
        trigrams with it, of about its length and not ruled out by their letters."""
        grams = self._trigrams(key)
        postings = [self._grams[gram] for gram in grams if gram in self._grams]
        if not postings:
            return []
        # A key within `reach` edits shares all but 3 trigrams per edit with the word (the
        # q-gram lemma), one more for a transposition, and has about its length.
        shared = max(MIN_SHARED_TRIGRAMS, len(grams) - 3 * reach - 1)
        if sum(map(len, postings)) > PLAIN_COUNT:
            return self._counted(postings, shared, key, reach)
        counts = Counter(key_id for posting in postings for key_id in posting)
        # In key order, as numpy gives them: the nearest keys are kept in that order.
        candidates = [
            self._keys[key_id]
            for key_id, count in sorted(counts.items())
            if count >= shared and abs(self._lengths[key_id] - len(key)) <= reach
        ]
        found = process.extract(
            key, candidates, scorer=OSA.distance, score_cutoff=reach, limit=None
        )
        return [(candidate, int(distance)) for candidate, distance, _ in found]

    def within(self, key: str, edits: int) -> list[str]:
        """The other keys within `edits` edits of `key` (optimal string alignment), nearest
        first, then in alphabetical order."""
        found = self._found(key, edits)
        return [near for _, near in sorted((d, c) for c, d in found if c != key)]

    def near(self, key: str, limit: int) -> tuple[list[tuple[str, int]], list[str]]:
        """The keys nearest to `key` within `limit` edits (optimal string alignment), with
        their distance; and the other keys within one edit more, nearest first: a misspelling
        is no sure sign of one name when another is hardly further."""
        # Folded keys are about two letters shorter than the words they come from.
        limit = min(limit, max_edits(len(key) + 2))
        reach = limit + 1
        found = self._found(key, reach) if limit else []
        near = [
            (candidate, distance)
            for candidate, distance in found
            if distance <= limit and distance <= max_edits(len(candidate) + 2)
        ]
        if not near:
            return [], []
        # Only the nearest keys; among equally near ones those sharing the most letters in order
        # ("misl" is nearer "misil" than "mist").
        closest = min(distance for _, distance in near)
        ranked = [
            (fuzz.ratio(key, candidate), candidate)
            for candidate, distance in near
            if distance == closest
        ]
        best = max(ratio for ratio, _ in ranked)
        chosen = [(candidate, closest) for ratio, candidate in ranked if ratio == best]
        kept = {candidate for candidate, _ in chosen}
        others = sorted((d, c) for c, d in found if c not in kept)
        return chosen, [candidate for _, candidate in others]
