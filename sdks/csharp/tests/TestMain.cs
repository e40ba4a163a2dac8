// The SDK's test program: unit tests (signing, webhook vectors, JSON, the retry policy against a loopback HTTP
// server) and, with the platform's variables set (tests/sdks/conftest.py), integration tests against the real
// platform. One line per test; exits 1 when any failed.
//   mono LightSpeedPay.Tests.exe            unit and integration tests
//   mono LightSpeedPay.Tests.exe --unit     unit tests only (no platform needed)
using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Threading.Tasks;

namespace LightSpeedPay.Tests
{
    static class TestMain
    {
        static int Main(string[] args)
        {
            var unitOnly = Array.IndexOf(args, "--unit") >= 0;
            var tests = new List<KeyValuePair<string, Func<Task>>>();
            UnitTests.Register(tests);
            if (!unitOnly) IntegrationTests.Register(tests);
            var failed = 0;
            var total = Stopwatch.StartNew();
            foreach (var test in tests)
            {
                var clock = Stopwatch.StartNew();
                try
                {
                    test.Value().GetAwaiter().GetResult();
                    Console.WriteLine("ok   " + test.Key + " (" + clock.ElapsedMilliseconds + " ms)");
                }
                catch (Exception error)
                {
                    failed++;
                    Console.WriteLine("FAIL " + test.Key + " (" + clock.ElapsedMilliseconds + " ms): " + error);
                }
            }
            Console.WriteLine((tests.Count - failed) + " passed, " + failed + " failed, in " + total.Elapsed.TotalSeconds.ToString("0.0") + " s");
            return failed == 0 ? 0 : 1;
        }
    }

    sealed class CheckFailed : Exception
    {
        public CheckFailed(string message) : base(message) { }
    }

    static class Check
    {
        public static void True(bool condition, string what)
        {
            if (!condition) throw new CheckFailed(what);
        }

        public static void Equal<T>(T expected, T actual, string what)
        {
            if (!EqualityComparer<T>.Default.Equals(expected, actual))
                throw new CheckFailed(what + ": expected <" + expected + ">, got <" + actual + ">");
        }

        public static TException Throws<TException>(Action action, string what) where TException : Exception
        {
            try
            {
                action();
            }
            catch (TException expected)
            {
                return expected;
            }
            throw new CheckFailed(what + ": no " + typeof(TException).Name + " was thrown");
        }

        public static async Task<TException> ThrowsAsync<TException>(Func<Task> action, string what) where TException : Exception
        {
            try
            {
                await action();
            }
            catch (TException expected)
            {
                return expected;
            }
            throw new CheckFailed(what + ": no " + typeof(TException).Name + " was thrown");
        }
    }
}
