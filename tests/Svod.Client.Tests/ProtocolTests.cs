using Google.Protobuf;
using Svod.Client.Protocol;

namespace Svod.Client.Tests;

/// <summary>The wire protocol: messages survive their bytes, the numbers on the wire never move.</summary>
public sealed class ProtocolTests
{
    [Fact]
    public void Every_client_message_round_trips_through_its_bytes()
    {
        var messages = new[]
        {
            new ClientMessage
            {
                Start = new Start
                {
                    UtteranceId = "u-1",
                    Model = "demo",
                    Options = new StreamOptions
                    {
                        PartialResults = false,
                        EndpointBlankFrames = 12,
                        MaxSymbolsPerStep = 3,
                        Encoding = FrameEncoding.F16,
                    },
                },
            },
            new ClientMessage
            {
                Frames = new Frames { UtteranceId = "u-1", Offset = 640, Data = FramePayload.Encode([1f, -2.5f], FrameEncoding.F32) },
            },
            new ClientMessage { Finalize = new Finalize { UtteranceId = "u-1" } },
            new ClientMessage { Cancel = new Cancel { UtteranceId = "u-2" } },
        };
        foreach (var message in messages)
        {
            Assert.Equal(message, ClientMessage.Parser.ParseFrom(message.ToByteArray()));
        }
    }

    [Fact]
    public void Every_server_message_round_trips_through_its_bytes()
    {
        var result = new Result { UtteranceId = "u", IsFinal = true, Segment = 2, Text = "да", Stability = 1f, EndOfUtterance = true };
        result.Tokens.Add([5, 1]);
        result.TokenFrames.Add([10, 11]);
        result.Words.Add(new Word { Text = "да", StartSeconds = 0.4f, EndSeconds = 0.48f });
        var messages = new[]
        {
            new ServerMessage { Started = new Started { UtteranceId = "u", FrameWidth = 768, FrameSeconds = 0.04f } },
            new ServerMessage { Result = result },
            new ServerMessage { Ack = new Ack { UtteranceId = "u", DurableOffset = 1234 } },
            new ServerMessage { Redirect = new Redirect { UtteranceId = "u", Owner = "ws://10.0.0.2:5000/", Epoch = 7 } },
            new ServerMessage { Error = new Error { UtteranceId = "u", Code = ErrorCode.InvalidArgument, Message = "gap" } },
        };
        foreach (var message in messages)
        {
            Assert.Equal(message, ServerMessage.Parser.ParseFrom(message.ToByteArray()));
        }
    }

    [Fact]
    public void Partial_results_default_to_on_when_the_client_says_nothing()
    {
        var options = StreamOptions.Parser.ParseFrom(new StreamOptions().ToByteArray());
        Assert.False(options.HasPartialResults);
        options = StreamOptions.Parser.ParseFrom(new StreamOptions { PartialResults = false }.ToByteArray());
        Assert.True(options.HasPartialResults);
        Assert.False(options.PartialResults);
    }

    [Theory]
    [InlineData(ErrorCode.Cancelled, 1)]
    [InlineData(ErrorCode.InvalidArgument, 3)]
    [InlineData(ErrorCode.DeadlineExceeded, 4)]
    [InlineData(ErrorCode.NotFound, 5)]
    [InlineData(ErrorCode.AlreadyExists, 6)]
    [InlineData(ErrorCode.ResourceExhausted, 8)]
    [InlineData(ErrorCode.FailedPrecondition, 9)]
    [InlineData(ErrorCode.Internal, 13)]
    [InlineData(ErrorCode.Unavailable, 14)]
    [InlineData(ErrorCode.Unauthenticated, 16)]
    public void Error_codes_keep_gRPC_numbers_on_the_wire(ErrorCode code, int number)
    {
        Assert.Equal(number, (int)code);
        var bytes = new Error { Code = code }.ToByteArray();
        Assert.Equal(new byte[] { 0x10, (byte)number }, bytes);
    }

    [Fact]
    public void Float32_payloads_are_little_endian_and_exact()
    {
        float[] values = [1f, -0f, float.Epsilon, 3.1415927f, -1e30f, 65504f];
        var data = FramePayload.Encode(values, FrameEncoding.F32);
        Assert.Equal(new byte[] { 0, 0, 0x80, 0x3F }, data.Span[..4].ToArray());
        Assert.Equal(2, FramePayload.FrameCount(data.Span, 3, FrameEncoding.F32));
        var back = new float[values.Length];
        FramePayload.Decode(data.Span, FrameEncoding.F32, back);
        Assert.Equal(values.Select(BitConverter.SingleToInt32Bits), back.Select(BitConverter.SingleToInt32Bits));
    }

    [Fact]
    public void Float16_payloads_round_like_Half()
    {
        var random = new Random(4);
        var values = Enumerable.Range(0, 1000).Select(_ => (float)(random.NextDouble() * 200 - 100)).ToArray();
        var data = FramePayload.Encode(values, FrameEncoding.F16);
        Assert.Equal(2000, data.Length);
        var back = new float[values.Length];
        FramePayload.Decode(data.Span, FrameEncoding.F16, back);
        Assert.Equal(values.Select(v => (float)(Half)v), back);
    }

    [Fact]
    public void A_payload_that_is_not_whole_frames_is_refused_with_its_sizes()
    {
        var data = new byte[4 * 7];
        var error = Assert.Throws<ArgumentException>(() => FramePayload.FrameCount(data, 3, FrameEncoding.F32));
        Assert.Contains("28 bytes", error.Message, StringComparison.Ordinal);
        Assert.Contains("3 F32 values", error.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => FramePayload.Decode(data, FrameEncoding.F32, new float[6]));
    }

    [Fact]
    public void An_error_becomes_an_exception_with_its_code_and_utterance()
    {
        var e = SvodException.From(new Error { UtteranceId = "u-9", Code = ErrorCode.ResourceExhausted, Message = "full" });
        Assert.Equal(ErrorCode.ResourceExhausted, e.Code);
        Assert.Equal("u-9", e.UtteranceId);
        Assert.Contains("full", e.Message, StringComparison.Ordinal);
        Assert.Null(SvodException.From(new Error { Code = ErrorCode.Unauthenticated, Message = "key" }).UtteranceId);
    }
}
