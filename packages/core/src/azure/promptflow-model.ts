/**
 * Properties that make a model show up as a prompt flow in Azure ML studio (Test tab, chat UI).
 * Kept apart from the registry so code that only names the properties (the register stage with a
 * local registry) does not load the Azure SDK.
 */
export function promptFlowModelProperties(options: {
  flowId: string;
  chat?: { input: string; output: string };
}): Record<string, string> {
  return {
    'azureml.promptflow.source_flow_id': options.flowId,
    ...(options.chat && {
      'azureml.promptflow.mode': 'chat',
      'azureml.promptflow.chat_input': options.chat.input,
      'azureml.promptflow.chat_output': options.chat.output,
    }),
  };
}
