import type { ChatMessage } from '../spec/types.js'
import type { TokenUsage } from '../results/types.js'

/** A rendered request: what one call to the system under test receives. */
export interface ProviderRequest {
  /** The prompt as one text (messages joined); what `exec` writes to stdin. */
  prompt: string
  messages: ChatMessage[]
  vars: Record<string, unknown>
  caseId: string
  repeat: number
}

export interface ProviderResponse {
  output: string
  latencyMs: number
  ttftMs?: number
  tokens?: TokenUsage
  /** The model id the provider reports, and its fingerprint (e.g. OpenAI's system_fingerprint). */
  model?: string
  fingerprint?: string
  /** The service tier that answered (OpenAI: `default`, `flex`, `priority`…), when reported. */
  serviceTier?: string
  /**
   * Why the model stopped, when not at the natural end of its answer and the provider says so:
   * OpenAI's finish_reason `length` (its token limit), `content_filter`, `tool_calls`…
   */
  finishReason?: string
  /** The text is the model's refusal (OpenAI's `refusal`), not an answer: an LLM judge's says so. */
  refused?: boolean
  attempts: number
}

/**
 * A model or system under test. `call` resolves with the answer or rejects with a ProviderError;
 * it must stop promptly when `signal` aborts (timeout or cancellation).
 */
export interface Provider {
  readonly id: string
  readonly type: string
  /**
   * Its call settles only once what it started has stopped, soon after its signal aborts (an exec
   * command is SIGKILLed after a grace): a timed-out attempt keeps its share of `concurrency`
   * until then, so its retry never runs beside it. Unset where a call may ignore its signal and
   * never settle (a module's code).
   */
  readonly settlesWhenStopped?: boolean
  call(request: ProviderRequest, signal: AbortSignal): Promise<ProviderResponse>
  close?(): Promise<void>
}
