"""Caption files and splits as the lab reads them: each layout's parser on a small table, and the
seeded 80/10/10 split's exact counts (the sample folder's plan is compared with the lab's in test_parity)."""
import json
import unittest

from clip_lab.data import parse_captions, seeded_split


class CaptionFilesTest(unittest.TestCase):
    def test_each_layout(self):
        coco = json.dumps({'images': [{'id': 7, 'file_name': 'train/a.jpg'}], 'annotations': [{'image_id': 7, 'caption': ' A dog. '}]})
        cases = [
            ('captions.txt', 'image,caption\na.jpg,"a dog, running"\n', 'flickr8k-csv', [('a.jpg', 'a dog, running', None)]),
            ('Flickr8k.token.txt', 'a.jpg#0\tA dog .\na.jpg#1\tA cat .\n', 'flickr8k-token', [('a.jpg', 'A dog .', None), ('a.jpg', 'A cat .', None)]),
            ('results.csv', 'image_name| comment_number| comment\na.jpg| 0| hi there\n', 'flickr30k-csv', [('a.jpg', 'hi there', None)]),
            ('captions_train2017.json', coco, 'coco-json', [('a.jpg', 'A dog.', None)]),
            ('meta.csv', 'file;caption;split\nimg/a.jpg;a dog, running;train\nb.jpg;"x;y";dev\n', 'generic-csv',
             [('a.jpg', 'a dog, running', 'train'), ('b.jpg', 'x;y', 'val')]),
            ('t.csv', 'image|text\na.jpg|a cat\n', 'generic-csv', [('a.jpg', 'a cat', None)]),
            ('t.tsv', 'filename\tcaption\na.jpg\thi\n', 'generic-tsv', [('a.jpg', 'hi', None)]),
            ('t.jsonl', '{"image": "a.jpg", "text": "hi", "split": "test"}\n', 'jsonl', [('a.jpg', 'hi', 'test')]),
        ]
        for name, text, fmt, records in cases:
            with self.subTest(name):
                self.assertEqual(parse_captions(name, text), (fmt, records))

    def test_not_captions(self):
        self.assertIsNone(parse_captions('notes.txt', 'just some words\n'))
        self.assertIsNone(parse_captions('x.json', '{"a": 1}'))

    def test_seeded_split_has_exact_counts(self):
        for n in (1, 7, 10, 123):
            split = seeded_split([f'{i}.jpg' for i in range(n)])
            counts = {s: list(split.values()).count(s) for s in ('train', 'val', 'test')}
            val = min(n, int(n * 0.1 + 0.5))
            self.assertEqual(counts, {'train': n - val - min(n - val, int(n * 0.1 + 0.5)), 'val': val, 'test': min(n - val, int(n * 0.1 + 0.5))})


if __name__ == '__main__':
    unittest.main()
