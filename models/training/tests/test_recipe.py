"""Smoke tests of the training recipe (run by CI through test/integration/training-recipe.test.ts
when /usr/bin/python3 has torch and onnx): a few steps of each stage on tiny stand-in pairs,
step-based runs that replay exactly, the student export, and the teacher recovered from the
shipped ONNX file."""
import json
import os
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
TRAINING = os.path.dirname(HERE)
sys.path.insert(0, TRAINING)

import numpy as np  # noqa: E402
import torch  # noqa: E402

from common import MODEL_IDS, build, make_standin, step_lr  # noqa: E402


def run(args, env):
    r = subprocess.run([sys.executable, *args], cwd=TRAINING, env=env, capture_output=True, text=True, timeout=600)
    if r.returncode != 0:
        raise AssertionError(f'{args[0]} failed ({r.returncode}):\n{r.stdout[-2000:]}\n{r.stderr[-2000:]}')
    return r.stdout


class Recipe(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        torch.set_num_threads(1)
        cls.tmp = tempfile.TemporaryDirectory(prefix='pf-recipe-')
        root = cls.tmp.name
        make_standin(os.path.join(root, 'pairs', 'train'), 24, seed=1, size=64)
        make_standin(os.path.join(root, 'pairs', 'test'), 8, seed=2, size=64)
        os.makedirs(os.path.join(root, 'models', 'reference'))
        cls.env = dict(os.environ, PF_PAIRS_DIR=os.path.join(root, 'pairs'), PF_RUNS_DIR=os.path.join(root, 'runs'),
                       PF_MODELS_DIR=os.path.join(root, 'models'), OMP_NUM_THREADS='1')

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def path(self, *p):
        return os.path.join(self.tmp.name, *p)

    def test_classifier_is_step_based_records_its_config_and_replays(self):
        outs = []
        for name in ('cls_a.pt', 'cls_b.pt'):
            out = self.path('runs', name)
            run(['train_classifier.py', '--data', self.path('pairs', 'train'), '--max-steps', '4', '--batch', '4',
                 '--out', out], self.env)
            outs.append(torch.load(out, map_location='cpu'))
        info = outs[0]['info']
        self.assertEqual(info['steps'], 4)
        self.assertEqual(info['config']['versions']['torch'], torch.__version__)
        self.assertIn('training_commit', info['config'])
        for k, v in outs[0]['model'].items():
            self.assertTrue(torch.equal(v, outs[1]['model'][k]), f'{k} differs between two runs with the same seed')

    def test_learning_rate_is_a_function_of_the_step(self):
        self.assertAlmostEqual(step_lr(0, 100, 1.0, 10), 0.1)
        self.assertAlmostEqual(step_lr(50, 100, 1.0, 10), 1.0)
        self.assertLess(step_lr(99, 100, 1.0, 10), 0.06)

    def test_unet_runs_replay_exactly_and_record_their_config(self):
        for name in ('a.pt', 'b.pt'):
            run(['train_unet.py', '--steps', '3', '--out', self.path('runs', name)], self.env)
        a, b = (torch.load(self.path('runs', n), map_location='cpu') for n in ('a.pt', 'b.pt'))
        for k in a['ema']:
            self.assertTrue(torch.equal(a['ema'][k], b['ema'][k]), k)
        cfg = a['info']['config']
        self.assertEqual(a['info']['steps'], 3)
        self.assertEqual(cfg['steps'], 3)
        self.assertEqual(cfg['versions']['torch'], torch.__version__)
        self.assertEqual(cfg['versions']['numpy'], np.__version__)
        self.assertIn('training_commit', cfg)

    def test_ddpm_phases_and_resume(self):
        out = self.path('runs', 'ddpm_eps.pt')
        run(['train_ddpm.py', '--param', 'eps', '--steps', '2', '--phases', '0:2e-4:0.999,1:6e-4:0.995', '--out', out], self.env)
        ck = torch.load(out, map_location='cpu')
        self.assertEqual([p['from_step'] for p in ck['info']['history']], [0, 1])
        self.assertIn('rng', ck)
        v = self.path('runs', 'ddpm.pt')
        run(['train_ddpm.py', '--param', 'v', '--init', out, '--steps', '2', '--out', v], self.env)
        self.assertEqual(torch.load(v, map_location='cpu')['info']['init']['steps'], 2)

    def test_student_distils_exports_and_checks(self):
        targets = self.path('runs', 'targets')
        teacher = os.path.join(TRAINING, '..', 'ddpm.onnx')  # the shipped DDPM
        run(['distill.py', 'targets', '--out', targets, '--shards', '1', '--shard-size', '4', '--teacher-steps', '2',
             '--batch', '4', '--teacher', teacher], self.env)
        with np.load(os.path.join(targets, 'shard-0000.npz')) as shard:
            # K = 4 teacher samples per crop (default --members), x0_hat once per crop.
            self.assertEqual(shard['z'].shape, (4, 4, 64, 64))
            self.assertEqual(shard['target'].shape, (4, 4, 64, 64))
            self.assertEqual(shard['x0hat'].shape, (4, 1, 64, 64))
        member = self.path('runs', 'student-member.pt')
        run(['distill.py', 'train', '--targets', targets, '--shards', '1', '--steps', '2', '--batch', '2',
             '--monitor-pairs', '1', '--monitor-every', '2', '--out', member, '--teacher', teacher], self.env)
        info = torch.load(member, map_location='cpu')['info']
        self.assertEqual(info['steps'], 2)
        self.assertEqual(info['config']['stage'], 'student')
        refined = self.path('runs', 'refined')
        # Shard 0 refines the member network's crops; shard 1 draws its own (fresh) crops.
        run(['distill.py', 'refine-targets', '--targets', targets, '--out', refined, '--shards', '2', '--member-shards', '1',
             '--shard-size', '3', '--noises', '2', '--teacher', teacher], self.env)
        with np.load(os.path.join(refined, 'shard-0000.npz')) as shard:
            self.assertEqual(shard['refined'].shape, (4, 1, 64, 64))  # one average per crop
            self.assertEqual(int(shard['t']), 200)
            self.assertNotIn('cond', shard.files)
        with np.load(os.path.join(refined, 'shard-0001.npz')) as shard:
            self.assertEqual([shard[k].shape for k in ('refined', 'cond', 'x0hat', 'gt')], [(3, 1, 64, 64)] * 4)
        # Identity examples after the refinement shards: in-focus crops whose targets are the crop itself.
        run(['distill.py', 'refine-identity', '--data', self.path('pairs', 'train'), '--out', refined, '--first', '2',
             '--shards', '1', '--shard-size', '3', '--teacher', teacher], self.env)
        with np.load(os.path.join(refined, 'shard-0002.npz')) as shard:
            self.assertTrue(bool(shard['identity']))
            self.assertEqual(shard['cond'].shape, (3, 1, 64, 64))
            self.assertTrue(np.array_equal(shard['refined'], shard['cond']) and np.array_equal(shard['gt'], shard['cond']))
            self.assertFalse(np.array_equal(shard['x0hat'], shard['cond']))
        refiner = self.path('runs', 'student-refiner.pt')
        run(['distill.py', 'refine-train', '--targets', targets, '--refined', refined, '--shards', '3', '--steps', '2',
             '--batch', '2', '--monitor-pairs', '1', '--monitor-every', '2', '--out', refiner, '--teacher', teacher], self.env)
        config = torch.load(refiner, map_location='cpu')['info']['config']
        self.assertEqual((config['noises'], config['t'], config['identity_crops']), (2, 200, 3))
        # A second stage starts from the first one's EMA weights: with no steps it returns them unchanged.
        again = self.path('runs', 'student-refiner-2.pt')
        run(['distill.py', 'refine-train', '--targets', targets, '--refined', refined, '--shards', '2', '--steps', '0',
             '--monitor-pairs', '1', '--out', again, '--teacher', teacher, '--init', refiner], self.env)
        first, second = (torch.load(p, map_location='cpu')['ema'] for p in (refiner, again))
        for k in first:
            self.assertTrue(torch.equal(first[k], second[k]), k)
        run(['distill.py', 'compose', '--member', member, '--refiner', refiner, '--out', self.path('runs', 'student.pt')], self.env)
        composed = torch.load(self.path('runs', 'student.pt'), map_location='cpu')['info']
        self.assertEqual((composed['centre_flips'], composed['centred_members']), (2, True))
        run(['export.py', 'student', '--runs', self.path('runs')], self.env)
        ref = json.load(open(self.path('models', 'reference', f"{MODEL_IDS['student']}.json")))
        self.assertEqual(sorted(ref['cases'][0]['inputs']), ['cond', 'x0_hat', 'z'])
        self.assertTrue(os.path.getsize(self.path('models', 'student.onnx')) < 15 * 1024 * 1024)


class CentredMembers(unittest.TestCase):
    def test_the_mean_is_the_refined_centre_and_the_spread_is_unchanged(self):
        torch.manual_seed(0)
        centred, plain = build('student', centred_members=True), build('student', centred_members=False)
        with torch.no_grad():
            for p in centred.parameters():  # both output layers start at zero: give the residuals something to carry
                p.add_(0.05 * torch.randn_like(p))
        plain.load_state_dict(centred.state_dict())
        cond, x0 = torch.rand(1, 1, 32, 32).expand(4, 1, 32, 32), torch.rand(1, 1, 32, 32).expand(4, 1, 32, 32)
        x = torch.cat([torch.randn(4, 1, 32, 32), cond, x0], 1)
        with torch.no_grad():
            a, b = centred(x), plain(x)
            base = x[:1, 1:3]
            out = centred.refiner(torch.cat([base, torch.flip(base, (2, 3))]))
            centre = (out[:1] + torch.flip(out[1:], (2, 3))) / 2
        self.assertGreater((b.mean(0) - centre[0]).abs().max().item(), 1e-3)  # the plain members' mean is off the centre
        self.assertLess((a.mean(0) - centre[0]).abs().max().item(), 1e-5)
        self.assertLess((a.std(0) - b.std(0)).abs().max().item(), 1e-5)


class ShippedTeacher(unittest.TestCase):
    def test_weights_recovered_from_onnx_match_the_reference_outputs(self):
        from onnx_weights import check_against_reference, load_from_onnx
        self.assertLess(check_against_reference('ddpm', load_from_onnx('ddpm')), 1e-4)


if __name__ == '__main__':
    unittest.main()
